/**
 * Several WhatsApp accounts in one gateway (issue 14, API-EXTENSIONS.md "Sessions"), end to end:
 * each session links to its own emulated account (one emulator per account), sends and receives
 * through its own socket, keeps its own records and webhooks, survives a restart without a QR, and
 * is gone after DELETE. Admin keys open everything; a session key only its own session.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { E2EHarness, sleep, waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const WEBHOOK_SECRET = 'sales-webhook-secret-0123';

interface Delivery {
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('sessions: several accounts in one gateway', () => {
  const emulators = new Map<string, Emulator>();
  let h: E2EHarness;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  let salesKey = '';

  const emulatorFor = async (session: string) => {
    let emu = emulators.get(session);
    if (!emu) {
      // A distinct account per session, as distinct phones would be.
      const n = emulators.size + 1;
      emu = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: `628222000000${n}`, lid: `8800000000${n}`, pushName: session } });
      emulators.set(session, emu);
    }
    return { wsUrl: emu.wsUrl, mediaCaPem: emu.mediaCaPem };
  };
  const emu = (session: string) => emulators.get(session)!;
  const admin = () => ({ 'X-API-Key': ADMIN });

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        deliveries.push({ body, headers: req.headers });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    h = await E2EHarness.start({ env: { API_KEY: ADMIN, SEND_ACK_TIMEOUT: '1' }, endpointFor: emulatorFor });
    const qr = await waitFor(async () => {
      const res = await h.api.get('/api/qr').set(admin());
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await h.emu.scanQr(qr);
    await waitFor(async () => (await h.api.get('/api/status').set(admin())).body.bot_connected === true, 10_000, 'default linked');
  });

  afterAll(async () => {
    await h?.stop();
    await Promise.all([...emulators.values()].map((e) => e.stop()));
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  test('POST /api/sessions creates a session with its own key, shown once; names and duplicates are checked', async () => {
    await h.api.post('/api/sessions').send({ name: 'sales' }).expect(401);
    const created = await h.api
      .post('/api/sessions')
      .set(admin())
      .send({ name: 'sales', webhook_url: receiverUrl, webhook_secret: WEBHOOK_SECRET })
      .expect(201);
    expect(created.body).toMatchObject({ status: 'success', data: { name: 'sales' } });
    salesKey = (created.body as { data: { api_key: string } }).data.api_key;
    expect(salesKey).toMatch(/^wgs_[A-Za-z0-9_-]{43}$/);

    const again = await h.api.post('/api/sessions').set(admin()).send({ name: 'sales' }).expect(409);
    expect(again.body).toMatchObject({ status: 'error', code: 'SESSION_EXISTS', message: 'Session "sales" already exists' });
    expect((await h.api.post('/api/sessions').set(admin()).send({ name: 'default' }).expect(409)).body.code).toBe('SESSION_EXISTS');
    for (const name of ['Sales', '-x', 'a'.repeat(33), 'a b', '', 42]) {
      const bad = await h.api.post('/api/sessions').set(admin()).send({ name }).expect(400);
      expect(bad.body.code).toBe('INVALID_SESSION_NAME');
    }
    const unsigned = await h.api.post('/api/sessions').set(admin()).send({ name: 'x1', webhook_url: receiverUrl }).expect(400);
    expect(unsigned.body).toMatchObject({ code: 'INVALID_PARAMETER' });
    // The key is kept only as a hash.
    const row = h.gateway.db.prepare<[], { key_hash: Buffer }>("SELECT key_hash FROM sessions WHERE name = 'sales'").get();
    expect(row?.key_hash.length).toBe(32);
    expect(row?.key_hash.toString('utf8')).not.toContain(salesKey);
  });

  test('the new session links with its own QR, sends through its own account and keeps its own records', async () => {
    const key = { 'X-API-Key': salesKey };
    const qr = await waitFor(async () => {
      const res = await h.api.get('/api/sessions/sales/qr').set(key);
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await emu('sales').scanQr(qr);
    await waitFor(async () => (await h.api.get('/api/sessions/sales').set(key)).body.bot_connected === true, 10_000, 'sales linked');

    const sent = await h.api.post('/api/sessions/sales/send-message').set(key).send({ phone: RECIPIENT, message: 'from sales' }).expect(200);
    const id = (sent.body as { data: { message_id: string } }).data.message_id;
    const received = await emu('sales').waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(received.text).toBe('from sales');
    expect(h.emu.messages.some((m) => m.id === id)).toBe(false);

    const salesRecords = await h.api.get('/api/sessions/sales/messages').set(key).expect(200);
    expect(JSON.stringify(salesRecords.body)).toContain(id);
    const defaultRecords = await h.api.get('/api/messages').set(admin()).expect(200);
    expect(JSON.stringify(defaultRecords.body)).not.toContain(id);

    // The default account still sends through its own socket.
    const own = await h.api.post('/api/send-message').set(admin()).send({ phone: RECIPIENT, message: 'from default' }).expect(200);
    const ownId = (own.body as { data: { message_id: string } }).data.message_id;
    await h.emu.waitForMessage((m) => m.id === ownId && !m.isOwnDeviceCopy);
    expect(emu('sales').messages.some((m) => m.id === ownId)).toBe(false);
  });

  test("a session's incoming messages go to its own webhook, signed with its own secret", async () => {
    await emu('sales').sendIncomingText('6281999000111', 'hello sales');
    const delivery = await waitFor(() => deliveries.find((d) => d.body.includes('hello sales')), 10_000, 'the sales webhook');
    const header = (name: string) => String(delivery.headers[name.toLowerCase()]);
    expect(
      verifyWebhookSignature(WEBHOOK_SECRET, { timestamp: header('X-Webhook-Timestamp'), signature: header('X-Webhook-Signature') }, delivery.body),
    ).toEqual({
      valid: true,
    });
    expect(JSON.parse(delivery.body)).toMatchObject({ event: 'message.incoming' });
  });

  test('a session key opens only its own session; admin routes need an admin key', async () => {
    const key = { 'X-API-Key': salesKey };
    const forbidden = await h.api.post('/api/send-message').set(key).send({ phone: RECIPIENT, message: 'x' }).expect(403);
    expect(forbidden.body).toMatchObject({ status: 'error', code: 'FORBIDDEN', message: 'Forbidden: key not valid for this session' });
    expect(typeof forbidden.body.timestamp).toBe('string');
    expect((await h.api.get('/api/sessions/other/status').set(key).expect(403)).body.code).toBe('FORBIDDEN');
    expect((await h.api.get('/api/sessions').set(key).expect(403)).body.code).toBe('ADMIN_KEY_REQUIRED');
    expect((await h.api.post('/api/sessions').set(key).send({ name: 'mine' }).expect(403)).body.code).toBe('ADMIN_KEY_REQUIRED');
    expect((await h.api.delete('/api/sessions/sales').set(key).expect(403)).body.code).toBe('ADMIN_KEY_REQUIRED');
    await h.api
      .get('/api/sessions/sales/status')
      .set({ 'X-API-Key': `${salesKey}x` })
      .expect(401);
    expect((await h.api.get('/api/sessions/nobody/status').set(admin()).expect(404)).body.code).toBe('SESSION_NOT_FOUND');
    expect((await h.api.get('/api/sessions/nobody').set(admin()).expect(404)).body.code).toBe('SESSION_NOT_FOUND');
    await h.api.get('/api/sessions/sales/no-such-route').set(admin()).expect(404);
  });

  test('GET /api/sessions lists every session with its state', async () => {
    const res = await h.api.get('/api/sessions').set(admin()).expect(200);
    const list = (res.body as { data: Array<{ name: string; connected: boolean; webhook: string; created_at: string | null }> }).data;
    expect(list.map((s) => s.name)).toEqual(['default', 'sales']);
    expect(list[0]).toMatchObject({ connected: true, webhook: 'none', created_at: null });
    expect(list[1]).toMatchObject({ connected: true, state: 'open', webhook: 'own' });
  });

  test('after a restart every session comes back linked without a QR', async () => {
    const logins = emu('sales').logins;
    await h.restartGateway();
    await emu('sales').waitForLogin(logins + 1, 10_000);
    await waitFor(async () => (await h.api.get('/api/sessions/sales').set({ 'X-API-Key': salesKey })).body.bot_connected === true, 10_000, 'sales back');
    const sent = await h.api
      .post('/api/sessions/sales/send-message')
      .set({ 'X-API-Key': salesKey })
      .send({ phone: RECIPIENT, message: 'after restart' })
      .expect(200);
    const id = (sent.body as { data: { message_id: string } }).data.message_id;
    await emu('sales').waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
  });

  test('DELETE logs the account out and removes its data; its key stops working', async () => {
    const folder = h.gateway.sessions.get('sales')!.config.dataDir;
    expect(folder).toBe(path.join(h.config.dataDir, 'sessions', 'sales'));
    expect((await h.api.delete('/api/sessions/default').set(admin()).expect(409)).body.code).toBe('DEFAULT_SESSION_PROTECTED');
    expect(
      emu('sales')
        .pairedDevices()
        .map((d) => d.removed),
    ).toEqual([false]);
    // A send in flight (its ack never comes) is answered before the session goes.
    emu('sales').interceptAcks({ action: 'swallow' });
    const finished: string[] = [];
    const inFlight = h.api
      .post('/api/sessions/sales/send-message')
      .set({ 'X-API-Key': salesKey })
      .send({ phone: RECIPIENT, message: 'in flight' })
      .then((r) => (finished.push('send'), r));
    await sleep(300);
    const res = await h.api
      .delete('/api/sessions/sales')
      .set(admin())
      .expect(200)
      .then((r) => (finished.push('delete'), r));
    const send = await inFlight;
    expect(finished).toEqual(['send', 'delete']);
    expect(send.status).toBe(504);
    expect(send.body).toMatchObject({ status: 'error', code: 'SEND_OUTCOME_UNKNOWN' });
    expect(res.body).toMatchObject({ status: 'success', message: 'Session deleted', data: { name: 'sales' } });
    await waitFor(
      () =>
        emu('sales')
          .pairedDevices()
          .every((d) => d.removed),
      5000,
      'the device unlinked on the phone',
    );
    await expect(access(folder)).rejects.toThrow();
    await h.api.get('/api/sessions/sales/status').set({ 'X-API-Key': salesKey }).expect(401);
    expect((await h.api.get('/api/sessions/sales/status').set(admin()).expect(404)).body.code).toBe('SESSION_NOT_FOUND');
    // The name can be used again: a fresh session.
    await h.api.post('/api/sessions').set(admin()).send({ name: 'sales' }).expect(201);
  });
});
