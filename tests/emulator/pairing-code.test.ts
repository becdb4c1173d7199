/**
 * Linking the raw Baileys socket with a pairing code: Baileys sends companion_hello, the emulator's
 * phone types the code (the primary's real crypto), Baileys answers with companion_finish, and the
 * phone signs the device in. A wrong code leaves the companion unlinked.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { Client } from './baileys-client.js';

describe('emulator: pairing a new companion by code', () => {
  let emu: Emulator;
  const clients: Client[] = [];
  let restoreTimers: () => void;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator();
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await emu.stop();
    restoreTimers();
  });

  /** Baileys' requestPairingCode returns before the server has the code (Baileys issue 2737): wait for it. */
  async function requestCode(client: Client): Promise<string> {
    const before = emu.pairingCodeRequests;
    const code = await client.sock.requestPairingCode(emu.account.phone);
    for (let i = 0; i < 250 && emu.pairingCodeRequests === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emu.pairingCodeRequests).toBe(before + 1);
    return code;
  }

  async function registering(): Promise<Client> {
    const client = await Client.connect(emu);
    clients.push(client);
    // The code can only be asked for once the server has registered the companion (QR refs shown).
    await client.waitForUpdate((u) => !!u.qr);
    return client;
  }

  test('the phone types the code: pair-success, 515, then a login with the saved creds', async () => {
    const client = await registering();
    const code = await requestCode(client);
    expect(code).toMatch(/^[1-9A-HJ-NP-Z]{8}$/);

    const linked = await emu.enterPairingCode(`${code.slice(0, 4)}-${code.slice(4).toLowerCase()}`);
    expect(linked).toMatchObject({ jid: `${emu.account.phone}:1@s.whatsapp.net`, removed: false });
    expect(await client.waitForClose()).toBe(515);
    expect(client.sock.authState.creds.me).toMatchObject({ id: linked.jid });

    const again = await Client.connect(emu, client.authDir);
    clients.push(again);
    await again.waitForOpen();
    expect(emu.logins).toBe(1);
  });

  test('a wrong code: the phone cannot open the key bundle and nothing is linked', async () => {
    const devicesBefore = emu.pairedDevices().length;
    const client = await registering();
    const code = await requestCode(client);
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;

    await expect(emu.enterPairingCode(wrong)).rejects.toThrow(/could not open the key bundle/);
    expect(emu.pairedDevices()).toHaveLength(devicesBefore);
    // The code is spent, as on the phone: typing the right one now finds nothing to link.
    await expect(emu.enterPairingCode(code)).rejects.toThrow(/no companion is waiting/);
    expect(client.updates.some((u) => u.connection === 'close')).toBe(false);
  });

  test("companion_hello gets an iq result with the pairing ref, or WhatsApp's error when refused", async () => {
    const client = await registering();
    const hello = (): BinaryNode => ({
      tag: 'iq',
      attrs: { to: '@s.whatsapp.net', type: 'set', xmlns: 'md' },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { jid: `${emu.account.phone}@s.whatsapp.net`, stage: 'companion_hello', should_show_push_notification: 'true' },
          content: [
            { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: Buffer.alloc(80, 1) },
            { tag: 'companion_server_auth_key_pub', attrs: {}, content: client.sock.authState.creds.noiseKey.public },
            { tag: 'companion_platform_id', attrs: {}, content: '1' },
            { tag: 'companion_platform_display', attrs: {}, content: 'Chrome (Ubuntu)' },
            { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' },
          ],
        },
      ],
    });
    const accepted = await client.sock.query(hello());
    const ref = getBinaryNodeChild(getBinaryNodeChild(accepted, 'link_code_companion_reg'), 'link_code_pairing_ref');
    expect(ref?.content).toBeInstanceOf(Uint8Array);

    emu.refusePairingCodes({ code: 429, text: 'rate-overlimit' });
    try {
      await expect(client.sock.query(hello())).rejects.toMatchObject({ message: 'rate-overlimit', data: 429 });
    } finally {
      emu.refusePairingCodes();
    }
  });
});
