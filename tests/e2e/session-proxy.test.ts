/**
 * A session's own proxy (issue 14: "optional proxy (HTTP/SOCKS for its WebSocket and media
 * transfers)"), end to end: sessions created with proxy_url (an HTTP CONNECT proxy and a SOCKS5
 * one, both with credentials, both counting the tunnels they open) link, send a text and an image
 * and download a received image, and every one of those connections went through their proxy,
 * while the default session (no WA_PROXY_URL) connected directly. The URL is stored sealed, shown
 * only as scheme://host:port, and never logged; it survives a restart. A proxy that refuses
 * leaves its session reporting the failure in its status, and the other sessions unaffected.
 * WA_PROXY_URL puts the default session behind a proxy the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import sharp from 'sharp';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { startConnectProxy, startSocks5Proxy, type TestProxy } from '../support/test-proxies.js';
import { E2EHarness, waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const PASSWORD = 'pr0xy-pa55word';

describe('sessions behind their own proxy', () => {
  const emulators = new Map<string, Emulator>();
  const logLines: string[] = [];
  let h: E2EHarness;
  let connectProxy: TestProxy;
  let socksProxy: TestProxy;
  let refusingProxy: TestProxy;
  let image: Buffer;

  const emulatorFor = async (session: string) => {
    let emu = emulators.get(session);
    if (!emu) {
      const n = emulators.size + 1;
      emu = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: `628333000000${n}`, lid: `8900000000${n}`, pushName: session } });
      emulators.set(session, emu);
    }
    return { wsUrl: emu.wsUrl, mediaCaPem: emu.mediaCaPem };
  };
  const emu = (session: string) => emulators.get(session)!;
  const admin = { 'X-API-Key': ADMIN };
  const withCredentials = (proxy: TestProxy, scheme?: string) => proxy.url.replace(/^(\w+):\/\//, (_, s: string) => `${scheme ?? s}://alice:${PASSWORD}@`);
  const prefix = (session: string) => (session === 'default' ? '/api' : `/api/sessions/${session}`);
  /** Tunnels through `proxy` to the session's emulator: its WebSocket, and its media host (any other port). */
  const tunnels = (proxy: TestProxy, session: string) => {
    const wsPort = emu(session).port;
    return { ws: proxy.tunnelsTo(wsPort), media: proxy.tunnels.filter((t) => t.port !== wsPort).length };
  };

  const link = async (session: string) => {
    const qr = await waitFor(async () => {
      const res = await h.api.get(`${prefix(session)}/qr`).set(admin);
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await (session === 'default' ? h.emu : emu(session)).scanQr(qr);
    await waitFor(async () => (await h.api.get(`${prefix(session)}/status`).set(admin)).body.bot_connected === true, 10_000, `${session} linked`);
  };

  const sendText = async (session: string, text: string) => {
    const res = await h.api
      .post(`${prefix(session)}/send-message`)
      .set(admin)
      .send({ phone: RECIPIENT, message: text })
      .expect(200);
    const id = (res.body as { data: { message_id: string } }).data.message_id;
    const received = await (session === 'default' ? h.emu : emu(session)).waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(received.text).toBe(text);
  };

  const sendImage = async (session: string) => {
    const res = await h.api
      .post(`${prefix(session)}/send-image`)
      .set(admin)
      .field('phone', RECIPIENT)
      .attach('file', image, 'red.png')
      .expect(200);
    const id = (res.body as { data: { message_id: string } }).data.message_id;
    const received = await (session === 'default' ? h.emu : emu(session)).waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(received.type).toBe('image');
    expect(received.media?.bytes.length).toBeGreaterThan(0);
  };

  /** A contact sends the session an image; the gateway downloads it for GET .../media/:id. */
  const downloadIncomingImage = async (session: string) => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 pretend jpeg '.repeat(40), 'latin1');
    const id = await emu(session).sendIncomingMessage('6281999000111', await emu(session).uploadIncomingMedia(bytes, { mimetype: 'image/jpeg' }));
    const file = await waitFor(async () => {
      const res = await h.api
        .get(`${prefix(session)}/media/${id}`)
        .set(admin)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        });
      return res.status === 200 ? (res.body as Buffer) : undefined;
    }, 10_000);
    expect(file.equals(bytes)).toBe(true);
  };

  beforeAll(async () => {
    image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .png()
      .toBuffer();
    [connectProxy, socksProxy, refusingProxy] = await Promise.all([startConnectProxy(), startSocks5Proxy(), startConnectProxy()]);
    refusingProxy.refuse(true);
    h = await E2EHarness.start({ env: { API_KEY: ADMIN }, endpointFor: emulatorFor, log: { level: 'debug', lines: logLines } });
    await link('default');
  });

  afterAll(async () => {
    await h?.stop();
    await Promise.all([...emulators.values()].map((e) => e.stop()));
    await Promise.all([connectProxy, socksProxy, refusingProxy].map((p) => p?.close()));
  });

  test('proxy_url is validated and never echoed', async () => {
    for (const proxy_url of ['ftp://alice:hunter22@x:21', 'socks4://x:1080', 'http://x:80/path', 'not a url', '', 42]) {
      const res = await h.api.post('/api/sessions').set(admin).send({ name: 'bad', proxy_url }).expect(400);
      expect(res.body).toMatchObject({ status: 'error', code: 'INVALID_PARAMETER' });
      expect((res.body as { message: string }).message).toMatch(/^Invalid proxy_url: expected an http:\/\//);
      expect(JSON.stringify(res.body)).not.toContain('hunter22');
    }
    expect((await h.api.get('/api/sessions').set(admin).expect(200)).body.data.map((s: { name: string }) => s.name)).toEqual(['default']);
  });

  test.each([
    ['an HTTP CONNECT proxy', 'via-http', () => connectProxy, undefined],
    ['a SOCKS5 proxy (names resolved by the proxy)', 'via-socks', () => socksProxy, 'socks5h'],
  ])('through %s: links, sends a text and an image, downloads an image, all through the proxy', async (_kind, session, proxyOf, scheme) => {
    const proxy = proxyOf();
    await h.api
      .post('/api/sessions')
      .set(admin)
      .send({ name: session, proxy_url: withCredentials(proxy, scheme) })
      .expect(201);
    await link(session);
    const linked = tunnels(proxy, session);
    expect(linked.ws).toBeGreaterThanOrEqual(1);
    // The proxy got the credentials of the URL.
    expect(proxy.tunnels.every((t) => t.credentials === `alice:${PASSWORD}`)).toBe(true);

    await sendText(session, `hello through ${session}`);
    await sendImage(session);
    const afterUpload = tunnels(proxy, session);
    expect(afterUpload.media).toBeGreaterThan(linked.media);

    await downloadIncomingImage(session);
    expect(tunnels(proxy, session).media).toBeGreaterThan(afterUpload.media);
    // Every tunnel led to this session's emulator (or the other proxied session's): none to default's.
    expect(proxy.tunnelsTo(h.emu.port)).toBe(0);
  });

  test('the default session (no WA_PROXY_URL) connects directly: no proxy saw its socket or its media', async () => {
    const before = [connectProxy, socksProxy].map((p) => p.tunnels.length);
    await sendText('default', 'direct from default');
    await sendImage('default');
    expect([connectProxy, socksProxy].map((p) => p.tunnels.length)).toEqual(before);
    expect(h.emu.connections).toBeGreaterThanOrEqual(1);
    for (const proxy of [connectProxy, socksProxy, refusingProxy]) expect(proxy.tunnelsTo(h.emu.port)).toBe(0);
  });

  test('GET /api/sessions shows each proxy as scheme://host:port; the stored URL is sealed', async () => {
    const res = await h.api.get('/api/sessions').set(admin).expect(200);
    const list = (res.body as { data: Array<{ name: string; proxy: string | null }> }).data;
    expect(list.map((s) => [s.name, s.proxy])).toEqual([
      ['default', null],
      ['via-http', `http://127.0.0.1:${connectProxy.port}`],
      ['via-socks', `socks5h://127.0.0.1:${socksProxy.port}`],
    ]);
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    expect(JSON.stringify(res.body)).not.toContain('alice');
    const rows = h.gateway.db.prepare<[], { name: string; proxy_url: string }>('SELECT name, proxy_url FROM sessions ORDER BY name').all();
    expect(rows.map((r) => r.name)).toEqual(['via-http', 'via-socks']);
    for (const row of rows) {
      expect(row.proxy_url).not.toContain(PASSWORD);
      expect(Buffer.from(row.proxy_url, 'base64').toString('latin1')).not.toContain(PASSWORD);
    }
  });

  test('after a restart the proxied sessions come back through their proxies, without a QR', async () => {
    const before = { http: tunnels(connectProxy, 'via-http').ws, socks: tunnels(socksProxy, 'via-socks').ws };
    await h.restartGateway();
    for (const session of ['via-http', 'via-socks']) {
      await waitFor(async () => (await h.api.get(`${prefix(session)}/status`).set(admin)).body.bot_connected === true, 10_000, `${session} back`);
    }
    expect(tunnels(connectProxy, 'via-http').ws).toBeGreaterThan(before.http);
    expect(tunnels(socksProxy, 'via-socks').ws).toBeGreaterThan(before.socks);
    await sendText('via-http', 'after restart, still proxied');
  });

  test('a proxy that refuses: the session reports the failure in its status; the others are unaffected', async () => {
    await h.api
      .post('/api/sessions')
      .set(admin)
      .send({ name: 'refused', proxy_url: withCredentials(refusingProxy) })
      .expect(201);
    const status = await waitFor(
      async () => {
        const body = (await h.api.get('/api/sessions/refused').set(admin).expect(200)).body as {
          bot_connected: boolean;
          connection: { last_disconnect: { reason: string } | null };
        };
        return body.connection.last_disconnect ? body : undefined;
      },
      10_000,
      'the refused session to report its failure',
    );
    expect(status.bot_connected).toBe(false);
    expect(status.connection.last_disconnect?.reason).toContain(`proxy http://127.0.0.1:${refusingProxy.port} could not open a tunnel`);
    expect(status.connection.last_disconnect?.reason).toContain('403 Forbidden');
    expect(JSON.stringify(status)).not.toContain(PASSWORD);
    // It keeps retrying (through the proxy, which keeps refusing), and never went around it.
    expect(emu('refused').connections).toBe(0);
    expect(refusingProxy.tunnels).toEqual([]);

    await sendText('default', 'default still sends');
    await sendText('via-http', 'via-http still sends');
    await sendText('via-socks', 'via-socks still sends');
  });

  test('no log line carries a proxy password', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((line) => line.includes(PASSWORD))).toEqual([]);
    expect(logLines.some((line) => line.includes(`127.0.0.1:${refusingProxy.port}`))).toBe(true);
  });
});

describe('WA_PROXY_URL: the default session behind a proxy', () => {
  let h: E2EHarness;
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startSocks5Proxy();
    const env = { API_KEY: ADMIN, WA_PROXY_URL: proxy.url.replace('socks5://', `socks5://bob:${PASSWORD}@`) };
    h = await E2EHarness.start({ env });
  });

  afterAll(async () => {
    await h?.stop();
    await proxy?.close();
  });

  test('links and sends through it; GET /api/sessions shows it without credentials', async () => {
    const qr = await waitFor(async () => {
      const res = await h.api.get('/api/qr').set({ 'X-API-Key': ADMIN });
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await h.emu.scanQr(qr);
    await waitFor(async () => (await h.api.get('/api/status').set({ 'X-API-Key': ADMIN })).body.bot_connected === true, 10_000, 'linked');
    const res = await h.api.post('/api/send-message').set({ 'X-API-Key': ADMIN }).send({ phone: RECIPIENT, message: 'default via socks5' }).expect(200);
    const id = (res.body as { data: { message_id: string } }).data.message_id;
    await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(proxy.tunnelsTo(h.emu.port)).toBeGreaterThanOrEqual(1);
    expect(proxy.tunnels.every((t) => t.credentials === `bob:${PASSWORD}`)).toBe(true);
    const list = await h.api.get('/api/sessions').set({ 'X-API-Key': ADMIN }).expect(200);
    expect(list.body.data).toEqual([expect.objectContaining({ name: 'default', proxy: `socks5://127.0.0.1:${proxy.port}` })]);
  });
});
