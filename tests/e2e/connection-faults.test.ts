/**
 * What the gateway does when the WhatsApp connection fails, with the emulator producing each fault
 * the way the real server does: a dropped socket, a 515 restart, a 440 takeover, a 401 device
 * removal, and the server being unreachable for a while. Reconnect steps are 50..200 ms (see the
 * harness), so every scenario plays out in a few seconds; outage-recovery.test.ts measures recovery
 * with the production policy on a shortened clock.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, sleep, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';

/** A harness whose gateway is linked and connected. */
function connectedHarness(): Promise<E2EHarness> {
  return E2EHarness.startLinked();
}

describe('transient faults: the gateway reconnects by itself and sends work again', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await connectedHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('a dropped connection is retried with backoff, then sends work', async () => {
    const logins = h.emu.logins;
    const logFrom = h.connectionLog.length;
    expect(h.emu.dropConnections()).toBe(1);

    await waitFor(() => h.emu.logins > logins, 5000, 'a new login after the drop');
    const status = await h.waitForConnected();
    // Counted as a failed attempt and scheduled by the backoff policy (not an instant retry).
    const retry = h.connectionLog.slice(logFrom).find((s) => s.phase === 'waiting_to_retry');
    expect(retry).toMatchObject({ connected: false, running: true, connectionAttempts: 1, slowRetry: false });
    expect(retry?.nextRetryAt).toBeDefined();
    // Once open again, the attempt counter is reset and the reason is kept for the operator.
    expect(status).toMatchObject({ bot_connected: true, thread_alive: true, connection_attempts: 0, connection: { state: 'open' } });
    expect(status.connection.last_disconnect).not.toBeNull();
    expect(h.emu.logins).toBe(logins + 1);

    await h.expectSendWorks(RECIPIENT, 'after a dropped connection');
  });

  test('515 (restart required) reconnects at once, without counting an attempt, then sends work', async () => {
    const logins = h.emu.logins;
    const logFrom = h.connectionLog.length;
    expect(h.emu.kick(515)).toBe(1);

    await waitFor(() => h.emu.logins > logins, 5000, 'a new login after 515');
    const status = await h.waitForConnected();
    const retry = h.connectionLog.slice(logFrom).find((s) => s.phase === 'waiting_to_retry');
    expect(retry).toMatchObject({ connectionAttempts: 0, lastDisconnect: { code: 515 } });
    // No backoff: the retry is scheduled for the moment of the close (the harness's first backoff
    // step is 50 ms), read from the status rather than a wall clock a loaded machine stretches.
    const scheduledAfterClose = Date.parse(String(retry?.nextRetryAt)) - Date.parse(String(retry?.lastDisconnect?.at));
    expect(scheduledAfterClose).toBeGreaterThanOrEqual(0);
    expect(scheduledAfterClose).toBeLessThan(50);
    expect(status).toMatchObject({ bot_connected: true, connection_attempts: 0, connection: { last_disconnect: { code: 515 } } });

    await h.expectSendWorks(RECIPIENT, 'after a 515 restart');
  });

  test('WhatsApp unreachable for a while: attempts grow, status says disconnected, sends get 503 and nothing is half-sent; then it recovers', async () => {
    await h.emu.goAway();

    // 3 attempts, then the outage is reported as long: the counter keeps growing while it is down.
    const down = await h.waitForStatus((s) => s.connection_attempts >= 4, 8000, 'retries past MAX_RECONNECT_ATTEMPTS while the emulator is away');
    expect(down).toMatchObject({ bot_connected: false, thread_alive: true, max_attempts: 3 });
    expect(down.connection.slow_retry).toBe(true);
    expect(['waiting_to_retry', 'connecting']).toContain(down.connection.state);

    const health = await h.api.get('/api/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', services: { whatsapp_bot: 'disconnected', api_server: 'running' } });
    const root = await h.api.get('/').expect(200);
    expect(root.body).toMatchObject({ bot_connected: false });

    const messagesBefore = h.emu.messages.length;
    const text = await h.sendText(RECIPIENT, 'must not be sent while down').expect(503);
    expect(text.body).toMatchObject({ status: 'error', message: 'Bot not connected' });
    const image = await h.api.post('/api/send-document').field('phone', RECIPIENT).attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'a.pdf').expect(503);
    expect(image.body).toMatchObject({ status: 'error', message: 'Bot not connected' });
    expect((await h.uploadFiles()).filter((f) => !f.startsWith('.'))).toEqual([]);

    await h.emu.comeBack();
    // The next retry (at most the 200 ms cap away) finds the server again.
    const up = await h.waitForConnected(5000);
    expect(up).toMatchObject({ bot_connected: true, connection_attempts: 0, connection: { state: 'open', slow_retry: false } });
    // The refused sends were refused, not queued and delivered later.
    expect(h.emu.messages.slice(messagesBefore)).toEqual([]);

    await h.expectSendWorks(RECIPIENT, 'after WhatsApp came back');
  });
});

describe('440 connection replaced: the gateway stops instead of fighting the other session', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await connectedHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('no reconnect loop: phase replaced, thread_alive false, no new logins, sends get 503', async () => {
    const logins = h.emu.logins;
    expect(h.emu.kick(440)).toBe(1);

    const status = await h.waitForStatus((s) => s.connection.state === 'replaced', 5000, "state 'replaced'");
    expect(status).toMatchObject({ bot_connected: false, thread_alive: false });
    expect(status.connection.last_disconnect).toMatchObject({ code: 440 });

    // Longer than every backoff step together: any retry would show.
    await sleep(1500);
    expect(h.emu.logins).toBe(logins);
    expect(h.emu.connections).toBe(0);
    expect(await h.status()).toMatchObject({ bot_connected: false, thread_alive: false, connection: { state: 'replaced' } });
    expect(h.connectionLog.filter((s) => s.phase === 'connecting' && !s.running)).toEqual([]);

    const res = await h.sendText(RECIPIENT, 'nobody is connected').expect(503);
    expect(res.body).toMatchObject({ status: 'error', message: 'Bot not connected' });
  });

  test('a restart (what the operator is told to do) logs in again', async () => {
    const logins = h.emu.logins;
    await h.restartGateway();
    await h.waitForConnected();
    expect(h.emu.logins).toBe(logins + 1);
    await h.expectSendWorks(RECIPIENT, 'after the restart');
  });
});

describe('401 device removed: credentials are wiped and a new QR is offered', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await connectedHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('the dead credentials are wiped, /api/qr offers a new QR, and pairing again works', async () => {
    const oldDevice = h.storedCreds()?.me?.id;
    expect(oldDevice).toBeDefined();
    const qrsBefore = h.qrs.length;
    expect(h.emu.kick(401)).toBe(1);

    const qr = await h.waitForQr();
    expect(h.qrs.length).toBeGreaterThan(qrsBefore);
    // The linked identity is gone from the store: a restart now could not log in with it.
    expect(h.storedCreds()?.me).toBeUndefined();
    const status = await h.status();
    expect(status).toMatchObject({ bot_connected: false, thread_alive: true, connection: { state: 'awaiting_qr' } });
    expect(status.connection.last_disconnect).toMatchObject({ code: 401 });

    await h.emu.scanQr(qr);
    await h.waitForConnected();
    const newDevice = h.storedCreds()?.me?.id;
    expect(newDevice).toBeDefined();
    expect(newDevice).not.toBe(oldDevice);
    expect(h.emu.pairedDevices().filter((d) => !d.removed)).toHaveLength(1);

    await h.expectSendWorks(RECIPIENT, 'after linking again');
  });
});

describe('401 at login: the device was removed while the gateway was offline', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await connectedHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('the refused credentials are wiped and a new QR is offered instead of a retry loop', async () => {
    expect(h.storedCreds()?.me).toBeDefined();
    // A WhatsApp that does not know this device answers the login with <failure reason=401>.
    await h.replaceEmulator();

    const qr = await h.waitForQr();
    expect(h.storedCreds()?.me).toBeUndefined();
    expect(h.emu.logins).toBe(0);
    const status = await h.status();
    expect(status).toMatchObject({ bot_connected: false, thread_alive: true, connection_attempts: 0, connection: { state: 'awaiting_qr' } });
    expect(status.connection.last_disconnect).toMatchObject({ code: 401 });

    await h.emu.scanQr(qr);
    await h.waitForConnected();
    await h.expectSendWorks(RECIPIENT, 'linked again after an offline removal');
  });
});

describe('logout: the gateway unlinks itself', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await connectedHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('POST /api/logout: the phone no longer lists the device, credentials are wiped and a new QR is offered', async () => {
    const res = await h.api.post('/api/logout').expect(200);
    expect(res.body).toMatchObject({ status: 'success' });

    await waitFor(() => h.emu.pairedDevices().every((d) => d.removed), 3000, 'the device removed on the phone');
    const qr = await h.waitForQr();
    expect(h.storedCreds()?.me).toBeUndefined();
    expect(await h.status()).toMatchObject({ bot_connected: false, thread_alive: true, connection: { state: 'awaiting_qr' } });

    await h.emu.scanQr(qr);
    await h.waitForConnected();
    await h.expectSendWorks(RECIPIENT, 'linked again after logout');
  });
});
