/**
 * Linking the gateway by pairing code through the HTTP API: POST /api/pairing-code, the emulated
 * phone types the code (the primary's real crypto), and the real Baileys socket links. A refused
 * request, a wrong code, a restart and an already linked gateway, end to end.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness } from './support/harness.js';

describe('linking by pairing code through POST /api/pairing-code', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await E2EHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  const requestCode = () => h.api.post('/api/pairing-code').send({ phone: h.emu.account.phone });

  test('WhatsApp refuses: 502 with its reason, and the QR comes back', async () => {
    await h.waitForQr();
    h.emu.refusePairingCodes({ code: 429, text: 'rate-overlimit' });
    try {
      const res = await requestCode().expect(502);
      expect(res.body).toMatchObject({
        status: 'error',
        code: 'PAIRING_CODE_REFUSED',
        message: 'WhatsApp refused the pairing code request: rate-overlimit (429)',
        whatsapp_error: { code: 429, text: 'rate-overlimit' },
      });
    } finally {
      h.emu.refusePairingCodes();
    }
    const qr = await h.waitForQr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
    expect(h.storedCreds()?.me).toBeUndefined();
  });

  test('a wrong code links nothing; a new code, typed right, connects', async () => {
    const first = await requestCode().expect(200);
    expect(first.body).toMatchObject({
      status: 'success',
      message: 'Enter this code on the phone: Linked devices → Link with phone number instead',
      data: { phone: h.emu.account.phone },
    });
    const code = first.body.data.pairing_code as string;
    expect(code).toMatch(/^[1-9A-HJ-NP-Z]{8}$/);
    // While the code is pending, no QR is offered (and none is drawn).
    const qrsBefore = h.qrs.length;
    const pending = await h.api.get('/api/qr').expect(503);
    expect(pending.body).toMatchObject({ code: 'QR_NOT_AVAILABLE', reason: 'pairing_code_pending' });
    expect((await h.status()).connection.state).toBe('awaiting_pairing_code');

    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    await expect(h.emu.enterPairingCode(wrong)).rejects.toThrow(/could not open the key bundle/);
    expect(h.emu.pairedDevices()).toHaveLength(0);
    expect((await h.status()).bot_connected).toBe(false);

    const second = await requestCode().expect(200);
    const secondCode = second.body.data.pairing_code as string;
    expect(secondCode).not.toBe(code);
    const linked = await h.emu.enterPairingCode(secondCode);
    expect(linked.jid).toBe(`${h.emu.account.phone}:1@s.whatsapp.net`);

    const status = await h.waitForConnected();
    expect(status.connection.state).toBe('open');
    expect(h.qrs.length).toBe(qrsBefore);
    expect(h.storedCreds()?.me?.id).toBe(linked.jid);
    await h.expectSendWorks('6281234567890', 'linked by code');
  });

  test('when connected: 409 Bot already connected', async () => {
    const res = await requestCode().expect(409);
    expect(res.body).toMatchObject({ status: 'error', message: 'Bot already connected', code: 'ALREADY_CONNECTED' });
  });

  test('linked but reconnecting (WhatsApp away): 409 ALREADY_LINKED, no new registration', async () => {
    await h.emu.goAway();
    try {
      await h.waitForStatus((s) => !s.bot_connected, 5000, 'disconnected');
      const res = await requestCode().expect(409);
      expect(res.body).toMatchObject({ status: 'error', code: 'ALREADY_LINKED' });
    } finally {
      await h.emu.comeBack();
    }
    await h.waitForConnected();
    expect(h.emu.pairedDevices()).toHaveLength(1);
  });

  test('a restarted gateway logs straight back in, without a QR or a code', async () => {
    const qrsBefore = h.qrs.length;
    const loginsBefore = h.emu.logins;
    await h.restartGateway();
    await h.waitForConnected();
    expect(h.emu.logins).toBe(loginsBefore + 1);
    expect(h.qrs.length).toBe(qrsBefore);
    expect(h.emu.pairedDevices()).toHaveLength(1);
  });

  test('after a logout, the account can be linked by code again', async () => {
    await h.api.post('/api/logout').expect(200);
    await h.waitForQr();
    const res = await requestCode().expect(200);
    await h.emu.enterPairingCode(res.body.data.pairing_code as string);
    await h.waitForConnected();
    expect(h.emu.pairedDevices().filter((d) => !d.removed)).toHaveLength(1);
  });
});
