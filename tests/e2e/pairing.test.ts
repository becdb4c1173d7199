/**
 * Linking the gateway to a WhatsApp account through the HTTP API, and staying linked across a
 * restart: the QR comes from GET /api/qr, the emulated phone scans it, and the saved credentials
 * log straight back in next time.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, sleep } from './support/harness.js';

describe('pairing through GET /api/qr', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await E2EHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('a fresh session offers a QR; scanning it connects the gateway', async () => {
    const before = await h.status();
    expect(before).toMatchObject({ bot_connected: false, thread_alive: true });

    const qr = await h.waitForQr();
    // The QR carries the registration ref (2@...) the phone needs.
    // Baileys 7 wraps it in WhatsApp's linked-devices link; v2.0.0 showed the bare 2@ form.
    expect(qr).toMatch(/^(https:\/\/wa\.me\/settings\/linked_devices#)?2@/);
    const linked = await h.emu.scanQr(qr);
    expect(linked.jid).toBe(`${h.emu.account.phone}:1@s.whatsapp.net`);

    const status = await h.waitForConnected();
    expect(status).toMatchObject({ bot_connected: true, thread_alive: true, connection_attempts: 0, connection: { state: 'open' } });
    expect(h.emu.logins).toBe(1);

    const qrRes = await h.api.get('/api/qr').expect(200);
    expect(qrRes.body).toEqual({ status: 'success', message: 'Bot already connected, no QR needed' });

    const health = await h.api.get('/api/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', services: { whatsapp_bot: 'connected', api_server: 'running' } });

    const root = await h.api.get('/').expect(200);
    expect(root.body).toMatchObject({ bot_connected: true });

    // The credentials Baileys saved (in the SQLite store) are what the restart below relies on.
    expect(h.storedCreds()?.me?.id).toBe(linked.jid);
  });

  test('a restarted gateway logs straight back in with the saved credentials, without a QR', async () => {
    const qrsBefore = h.qrs.length;
    const loginsBefore = h.emu.logins;
    const devicesBefore = h.emu.pairedDevices().length;

    await h.restartGateway();
    await h.waitForConnected();

    expect(h.emu.logins).toBe(loginsBefore + 1);
    expect(h.qrs.length).toBe(qrsBefore);
    expect(h.emu.pairedDevices()).toHaveLength(devicesBefore);
    // Still the same linked device, not a new registration.
    expect((await h.status()).connection).toMatchObject({ state: 'open' });
    // And it stays up: no reconnect churn after the login.
    await sleep(300);
    expect(await h.status()).toMatchObject({ bot_connected: true, connection_attempts: 0 });
    expect(h.emu.logins).toBe(loginsBefore + 1);
  });
});
