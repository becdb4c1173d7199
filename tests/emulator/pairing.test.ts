import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { Client } from './baileys-client.js';

describe('emulator: pairing a new companion by QR', () => {
  let emu: Emulator;
  const clients: Client[] = [];

  let restoreTimers: () => void;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator();
  });

  afterAll(async () => {
    for (const client of clients) await client.end();
    await clients[0]?.dispose();
    await emu.stop();
    restoreTimers();
  });

  test('QR, scan, 515 restart, then a login with the saved creds reaches open', async () => {
    const registering = await Client.connect(emu);
    clients.push(registering);
    const { qr } = await registering.waitForUpdate((u) => !!u.qr);
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);

    const linked = await emu.scanQr(qr!);
    expect(linked).toMatchObject({ jid: `${emu.account.phone}:1@s.whatsapp.net`, lid: `${emu.account.lid}:1@lid`, removed: false });
    expect(await registering.waitForClose()).toBe(515);
    expect(registering.updates).toContainEqual(expect.objectContaining({ isNewLogin: true }));
    expect(registering.sock.authState.creds.me).toMatchObject({ id: linked.jid, lid: linked.lid });

    const client = await Client.connect(emu, registering.authDir);
    clients.push(client);
    await client.waitForOpen();
    await client.waitForUpdate((u) => u.receivedPendingNotifications === true);
    expect(emu.logins).toBe(1);
    // The fresh companion found no prekeys on the server and uploaded its initial batch.
    expect(emu.pairedDevices()[0]!.preKeyCount).toBeGreaterThan(800);
  });

  test('scanning a QR nobody shows is rejected', async () => {
    await expect(emu.scanQr('https://wa.me/settings/linked_devices#2@nope,AAAA,AAAA,AAAA,1')).rejects.toThrow(/no connected companion/);
  });
});
