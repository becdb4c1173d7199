/**
 * The operator console in a real browser (headless Chromium) against the real gateway and the
 * WhatsApp emulator: log in with the key, link by scanning the QR shown on the page, send a text and
 * an image, watch them reach `delivered`, replay a failed webhook, unlink, log out. Every page is
 * photographed into docs/screenshots/ for the README. The gateway's log and every URL the browser
 * requested are checked for the key afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'puppeteer-core';
import sharp from 'sharp';
import { E2EHarness, waitFor } from '../e2e/support/harness.js';
import { startReceiver } from '../webhooks/receiver.js';
import {
  isShown,
  launchBrowser,
  logIn,
  scanQrOnPage,
  screenshot,
  textOf,
  waitForText,
  waitVisible,
  type BrowserGlobals,
  type TestBrowser,
} from './support/browser.js';

const KEY = 'console-browser-key-5f2a9c7e1b3d';
const RECIPIENT = '6281234567890';

describe('operator console in Chromium', () => {
  let h: E2EHarness;
  let chromium: TestBrowser;
  let page: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let receiverUp = false;
  let fixtures: string;
  const logLines: string[] = [];
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: receiverUp ? 200 : 503 }));
    h = await E2EHarness.start({
      env: { API_KEY: KEY, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'console-webhook-secret-0123456789', WEBHOOK_MAX_ATTEMPTS: '1' },
      log: { level: 'debug', lines: logLines },
    });
    fixtures = await mkdtemp(path.join(tmpdir(), 'wa-console-fixtures-'));
    // A real photo-sized JPEG: a sunset gradient.
    const gradient = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff7e5f"/><stop offset="1" stop-color="#2b1055"/></linearGradient></defs><rect width="640" height="400" fill="url(#g)"/><circle cx="320" cy="300" r="70" fill="#ffd36e"/></svg>`,
    );
    await writeFile(path.join(fixtures, 'sunset.jpg'), await sharp(gradient).jpeg().toBuffer());
    chromium = await launchBrowser();
    page = await chromium.browser.newPage();
    page.on('request', (request) => requestedUrls.push(request.url()));
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await h?.stop();
    await receiver?.close();
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  test('asks for the key, refuses a wrong one, and trades the right one for a strict HttpOnly cookie', async () => {
    await page.goto(`${h.gateway.url}/console`);
    await waitVisible(page, '#login');
    expect(await page.$eval('#nav', (nav) => (nav as unknown as { hidden: boolean }).hidden)).toBe(true);
    expect(await page.$eval('#open-banner', (banner) => (banner as unknown as { hidden: boolean }).hidden)).toBe(true);
    await screenshot(page, 'login');

    await logIn(page, 'not-the-key-but-long-enough');
    await waitForText(page, '#login-error', /Unauthorized: Invalid or missing API key/);
    expect(await page.cookies()).toEqual([]);

    await logIn(page, KEY);
    await waitVisible(page, '#nav');
    const cookies = await page.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookies[0]!.value).not.toContain(KEY);
    // The login field is emptied once the key has been exchanged.
    expect(await page.$eval('#login-key', (input) => (input as unknown as { value: string }).value)).toBe('');
  });

  test('links the gateway by scanning the QR shown on the Link page', async () => {
    await waitVisible(page, '#page-link');
    await waitVisible(page, '#qr-image');
    expect(await isShown(page, '#link-linked')).toBe(false);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } } }).document.querySelector('#qr-image')
          .complete,
      { timeout: 10_000 },
    );
    await screenshot(page, 'link-qr');

    const qr = await scanQrOnPage(page, '#qr-image');
    expect(qr).toMatch(/^(https:\/\/wa\.me\/settings\/linked_devices#)?2@/);
    const linked = await h.emu.scanQr(qr);
    expect(linked.jid).toBe(`${h.emu.account.phone}:1@s.whatsapp.net`);

    await waitVisible(page, '#link-linked');
    expect(await isShown(page, '#link-unlinked')).toBe(false);
    expect(await textOf(page, '#link-account')).toBe(`+${h.emu.account.phone}`);
    expect(await textOf(page, '#link-state')).toBe('linked and connected');
    await screenshot(page, 'link-linked');
  });

  test('sends a text and an image from the Send page', async () => {
    receiverUp = true;
    await page.goto(`${h.gateway.url}/console#/send`);
    await waitVisible(page, '#send-text');
    await page.type('#send-text input[name=phone]', RECIPIENT);
    await page.type('#send-text textarea[name=message]', 'Hello from the console');
    await page.click('#send-text button[type=submit]');
    await waitForText(page, '#send-summary', /Text message sent successfully/);
    const textReply = JSON.parse(await textOf(page, '#send-result')) as { data: { message_id: string } };
    const text = await h.emu.waitForMessage((m) => m.id === textReply.data.message_id && !m.isOwnDeviceCopy);
    expect(text).toMatchObject({ type: 'text', text: 'Hello from the console', to: `${RECIPIENT}@s.whatsapp.net` });

    await page.click('#send-tabs button[data-kind=image]');
    await waitVisible(page, '#send-image');
    await page.type('#send-image input[name=phone]', RECIPIENT);
    const fileInput = await page.$('#send-image input[type=file]');
    await (fileInput as unknown as { uploadFile(file: string): Promise<void> }).uploadFile(path.join(fixtures, 'sunset.jpg'));
    await page.type('#send-image input[name=caption]', 'Sunset from the console');
    await page.click('#send-image button[type=submit]');
    await waitForText(page, '#send-summary', /Image sent successfully/);
    const imageReply = JSON.parse(await textOf(page, '#send-result')) as { data: { message_id: string; filename: string } };
    expect(imageReply.data.filename).toBe('sunset.jpg');
    const image = await h.emu.waitForMessage((m) => m.id === imageReply.data.message_id && !m.isOwnDeviceCopy);
    expect(image).toMatchObject({ type: 'image', caption: 'Sunset from the console' });
    expect(image.media?.mimetype).toBe('image/jpeg');
    await screenshot(page, 'send');
  });

  test('the Messages page shows both reaching delivered, with their status timeline, and what came in', async () => {
    await h.emu.sendIncomingText(RECIPIENT, 'Is my order ready?', { pushName: 'Budi' });
    await waitFor(() => receiver.requests.some((r) => r.headers['x-webhook-event'] === 'message.incoming'), 10_000, 'the incoming message at the webhook');
    await page.goto(`${h.gateway.url}/console#/messages`);
    await waitVisible(page, '#messages-rows tr');
    // The page reloads itself on receipts: no click needed to see `delivered`.
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
        const badges = Array.from(doc.querySelectorAll('#messages-rows .badge')).map((b) => b.textContent);
        return badges.length === 2 && badges.every((b) => b === 'delivered');
      },
      { timeout: 15_000, polling: 100 },
    );
    const types = await page.$$eval('#messages-rows tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent));
    expect(types.sort()).toEqual(['image', 'text']);

    await page.click('#messages-rows tr:last-child');
    await waitVisible(page, '#message-timeline');
    const steps = await page.$$eval('#message-timeline .badge', (badges) => badges.map((b) => b.textContent));
    expect(steps).toEqual(['queued', 'sent', 'delivered']);

    // A filter narrows the list to what matches.
    await page.select('#messages-filter select[name=type]', 'image');
    await page.click('#messages-filter button[type=submit]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#messages-rows tr').length ===
        1,
      { timeout: 10_000 },
    );
    await page.select('#messages-filter select[name=type]', '');
    await page.click('#messages-filter button[type=submit]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<unknown> } }).document.querySelectorAll('#messages-rows tr').length ===
        2,
      { timeout: 10_000 },
    );
    await waitForText(page, '#incoming-rows', /\+6281234567890 \(Budi\)textIs my order ready\?/);
    await screenshot(page, 'messages');
  });

  test('the Status page shows the connection, queues and process', async () => {
    await page.goto(`${h.gateway.url}/console#/status`);
    await waitForText(page, '#status-connection', /open/);
    expect(await textOf(page, '#status-connection')).toContain(`${h.emu.account.phone}:1@s.whatsapp.net`);
    const queues = await textOf(page, '#status-queues');
    expect(queues).toMatch(/Webhook backlog\d+ pending, \d+ failed/);
    expect(queues).toContain('Outboxoff');
    expect(await textOf(page, '#status-system')).toMatch(/Uptime.*Memory \(RSS\)\d+ MB/);
    await screenshot(page, 'status');
  });

  test('a failed webhook delivery is replayed from the Webhooks page and reaches the receiver', async () => {
    await page.goto(`${h.gateway.url}/console#/webhooks`);
    await page.select('#webhooks-filter select[name=status]', 'failed');
    await page.click('#webhooks-filter button[type=submit]');
    // The receiver was down while the gateway linked: those connection events failed with its 503.
    // The page's own first load (all deliveries) may still be drawn: wait for the filtered rows.
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
        const badges = Array.from(doc.querySelectorAll('#webhooks-rows .badge')).map((b) => b.textContent);
        return badges.length > 0 && badges.every((b) => b === 'failed');
      },
      { timeout: 10_000, polling: 100 },
    );
    const failedRow = await page.$eval('#webhooks-rows tr', (row) => ({
      id: (row as unknown as { dataset: { id: string } }).dataset.id,
      text: row.textContent ?? '',
    }));
    expect(failedRow.text).toContain('HTTP 503');
    expect(failedRow.text).toContain('failed');

    const before = receiver.requests.length;
    await page.click(`#webhooks-rows tr[data-id="${failedRow.id}"] [data-replay]`);
    await waitForText(page, '#webhooks-result', /Webhook delivery queued again/);
    await waitFor(() => receiver.requests.slice(before).some((r) => r.headers['x-webhook-id'] !== undefined), 10_000, 'the replayed delivery');

    await page.select('#webhooks-filter select[name=status]', '');
    await page.click('#webhooks-filter button[type=submit]');
    await page.waitForFunction(
      (id: string) => {
        const row = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector(
          `#webhooks-rows tr[data-id="${id}"]`,
        );
        return row?.textContent?.includes('delivered') && row.textContent.includes('HTTP 200');
      },
      { timeout: 10_000, polling: 200 },
      failedRow.id,
    );
    await screenshot(page, 'webhooks');
  });

  test('an older list answer arriving after a newer one is not drawn over it', async () => {
    // The Webhooks page now lists delivered and failed deliveries. The answer to "all" is held in the
    // network until the answer to "failed" is on screen, then let through.
    const isUnfiltered = (url: string) => url.includes('/api/webhooks/deliveries?') && !url.includes('status=');
    const held: Array<{ continue(): Promise<void> }> = [];
    const hold = (request: { url(): string; continue(): Promise<void> }) => {
      if (isUnfiltered(request.url())) held.push(request);
      else void request.continue();
    };
    await page.setRequestInterception(true);
    page.on('request', hold);
    try {
      await page.select('#webhooks-filter select[name=status]', '');
      await page.click('#webhooks-filter button[type=submit]');
      await waitFor(() => held.length === 1, 5_000, 'the unfiltered load in flight');
      await page.select('#webhooks-filter select[name=status]', 'failed');
      await page.click('#webhooks-filter button[type=submit]');
      const onlyFailed = () => page.$$eval('#webhooks-rows .badge', (badges) => badges.length > 0 && badges.every((b) => b.textContent === 'failed'));
      await waitFor(onlyFailed, 10_000, 'the failed deliveries on screen');
      const late = page.waitForResponse((response) => isUnfiltered(response.url()));
      await held[0]!.continue();
      await late;
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 5_000 });
      expect(await onlyFailed()).toBe(true);
    } finally {
      page.off('request', hold);
      await page.setRequestInterception(false);
    }
  });

  test('a state-changing call from the page without the CSRF token is refused with 403', async () => {
    const refused = await page.evaluate(async () => {
      const res = await fetch('/api/logout', { method: 'POST' });
      return { status: res.status, body: (await res.json()) as unknown };
    });
    expect(refused).toMatchObject({ status: 403, body: { status: 'error', code: 'CSRF_TOKEN_INVALID', message: 'Forbidden: missing or invalid CSRF token' } });
    expect((await h.gateway.transport.status()).connected).toBe(true);
  });

  test('a second session: created on the Sessions page (its key shown once), picked at the top, its own status and QR', async () => {
    const nav = (route: string) => page.click(`#nav a[data-route=${route}]`);
    await nav('sessions');
    await waitVisible(page, '#sessions-rows tr[data-name="default"]');
    // One session: nothing to pick yet.
    expect(await isShown(page, '#session-picker')).toBe(false);
    await page.type('#session-create input[name=name]', 'sales');
    await page.click('#session-create button[type=submit]');
    await waitForText(page, '#session-create-result', /^Session created/);
    const salesKey = await textOf(page, '#session-created-key');
    expect(salesKey).toMatch(/^wgs_[A-Za-z0-9_-]{40,}$/);
    // The key shown is the session's own: it opens sales, not default.
    await h.api.get('/api/sessions/sales').set('X-API-Key', salesKey).expect(200);
    await h.api.get('/api/status').set('X-API-Key', salesKey).expect(403);
    await waitVisible(page, '#sessions-rows tr[data-name="sales"]');
    await screenshot(page, 'sessions');

    await waitVisible(page, '#session-picker');
    await page.select('#session-picker', 'sales');
    await nav('status');
    await waitForText(page, '#status-connection', /awaiting_qr/);
    expect(await textOf(page, '#status-connection')).toContain('Connectedno');
    expect(await textOf(page, '#status-connection')).not.toContain(h.emu.account.phone);

    await nav('link');
    await waitVisible(page, '#qr-image');
    expect(await isShown(page, '#link-linked')).toBe(false);
    expect(await textOf(page, '#link-state')).toBe('waiting for a phone to link');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } } }).document.querySelector('#qr-image')
          .complete,
      { timeout: 10_000 },
    );
    expect(await scanQrOnPage(page, '#qr-image')).toMatch(/^(https:\/\/wa\.me\/settings\/linked_devices#)?2@/);
    expect(requestedUrls.some((u) => u.includes('/api/sessions/sales/qr?format=png'))).toBe(true);
    expect(requestedUrls.some((u) => u.endsWith('/console/events?session=sales'))).toBe(true);
    await screenshot(page, 'link-second-session');

    // Back on default: its own state again, linked.
    await page.select('#session-picker', 'default');
    await waitVisible(page, '#link-linked');
    expect(await textOf(page, '#link-account')).toBe(`+${h.emu.account.phone}`);

    // Deleting asks first; the session and the picker go.
    await nav('sessions');
    await waitVisible(page, '#sessions-rows [data-delete="sales"]');
    await page.click('#sessions-rows [data-delete="sales"]');
    await waitVisible(page, '#session-delete-dialog');
    await page.click('#session-delete-confirm');
    await page.waitForFunction(() => !(globalThis as unknown as BrowserGlobals).document.querySelector('#sessions-rows tr[data-name="sales"]'), {
      timeout: 15_000,
      polling: 100,
    });
    expect(h.gateway.sessions.get('sales')).toBeUndefined();
    expect(await isShown(page, '#session-picker')).toBe(false);
    // The key shown at creation left the page.
    await nav('status');
    expect(await page.$eval('#session-created-key', (pre) => pre.textContent)).toBe('');
  });

  test('the sessions list of an older load does not replace the list after a session was created', async () => {
    // The Sessions page's first load answers slowly: its answer (the list as it was, without the
    // session created meanwhile) arrives after the load that followed the creation, and must not be
    // drawn over it. Puppeteer holds the request; the stale list is the gateway's own answer to the
    // same request made before the creation.
    const nav = (route: string) => page.click(`#nav a[data-route=${route}]`);
    await nav('status');
    await page.waitForNetworkIdle({ idleTime: 300, timeout: 5_000 });
    const before = await h.api.get('/api/sessions').set('X-API-Key', KEY).expect(200);
    const isList = (request: { url(): string; method(): string }) => request.method() === 'GET' && request.url().endsWith('/api/sessions');
    type Held = { respond(response: { status: number; contentType: string; body: string }): Promise<void> };
    const held: Held[] = [];
    const hold = (request: { url(): string; method(): string; continue(): Promise<void> } & Held) => {
      if (isList(request) && held.length === 0) held.push(request);
      else void request.continue();
    };
    await page.setRequestInterception(true);
    page.on('request', hold);
    try {
      await nav('sessions');
      await waitFor(() => held.length === 1, 5_000, 'the first sessions load in flight');
      await page.type('#session-create input[name=name]', 'late');
      await page.click('#session-create button[type=submit]');
      await waitVisible(page, '#sessions-rows tr[data-name="late"]');
      await held[0]!.respond({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(before.body) });
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 5_000 });
      expect(await page.$('#sessions-rows tr[data-name="late"]')).not.toBeNull();
      expect(await page.$$eval('#session-picker option', (options) => options.map((o) => o.getAttribute('value')))).toContain('late');
    } finally {
      page.off('request', hold);
      await page.setRequestInterception(false);
      await h.api.delete('/api/sessions/late').set('X-API-Key', KEY);
    }
  });

  test('unlinking asks for confirmation, then a new QR is offered', async () => {
    await page.goto(`${h.gateway.url}/console#/link`);
    await waitVisible(page, '#logout-button');
    await page.click('#logout-button');
    await waitVisible(page, '#logout-dialog');
    await screenshot(page, 'link-unlink-confirm');
    await page.click('#logout-dialog button[value=cancel]');
    expect(h.gateway.transport.status().connected).toBe(true);

    await page.click('#logout-button');
    await waitVisible(page, '#logout-dialog');
    await page.click('#logout-confirm');
    await waitVisible(page, '#link-unlinked', 15_000);
    expect(await isShown(page, '#link-linked')).toBe(false);
    await waitVisible(page, '#qr-image', 15_000);
    expect(h.gateway.transport.status().connected).toBe(false);
  });

  test('logging out of the console clears the cookie and the session', async () => {
    const cookie = (await page.cookies())[0]!;
    await page.click('#console-logout');
    await waitVisible(page, '#login');
    expect(await page.cookies()).toEqual([]);
    const status = await page.evaluate(async () => (await fetch('/api/status')).status);
    expect(status).toBe(401);
    // The old cookie is dead on the server too, not just forgotten by the browser.
    await h.api.get('/api/status').set('Cookie', `${cookie.name}=${cookie.value}`).expect(401);
  });

  test('the key appears in no URL the browser requested, in no browser storage and in no log line', async () => {
    const stored = await page.evaluate(() => {
      const w = globalThis as unknown as {
        localStorage: { length: number };
        sessionStorage: { length: number };
        document: { cookie: string; documentElement: { outerHTML: string } };
      };
      return { local: w.localStorage.length, session: w.sessionStorage.length, cookie: w.document.cookie, html: w.document.documentElement.outerHTML };
    });
    expect(stored).toMatchObject({ local: 0, session: 0, cookie: '' });
    expect(stored.html).not.toContain(KEY);
    expect(requestedUrls.length).toBeGreaterThan(10);
    expect(requestedUrls.filter((u) => u.includes(KEY))).toEqual([]);
    // The capture works: it holds the request lines of this very session, login included.
    expect(logLines.some((l) => l.includes('"path":"/console/session"'))).toBe(true);
    expect(logLines.filter((l) => l.includes(KEY))).toEqual([]);
  });
});
