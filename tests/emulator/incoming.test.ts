import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { WAMessage } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { pairAndLogin, type Client } from './baileys-client.js';

const CONTACT = '6281234567890';
const CONTACT_LID = '123456789012345';

describe('emulator: messages from contacts to the companion', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;

  const upserted = (id: string): Promise<WAMessage> =>
    client.waitFor(() => client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === id), 5000, `upsert ${id}`);

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({ contacts: [{ phone: CONTACT, lid: CONTACT_LID, pushName: 'Budi' }] });
    client = await pairAndLogin(emu);
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  test('a text encrypted to the uploaded prekeys reaches messages.upsert', async () => {
    const before = emu.pairedDevices()[0]!.preKeyCount;
    const id = await emu.sendIncomingText(CONTACT, 'halo dari kontak');
    const message = await upserted(id);
    expect(message.message?.conversation).toBe('halo dari kontak');
    expect(message.key).toMatchObject({ remoteJid: `${CONTACT}@s.whatsapp.net`, fromMe: false });
    expect(message.pushName).toBe('Budi');
    // The first message built a session from one of the companion's one-time prekeys.
    expect(emu.pairedDevices()[0]!.preKeyCount).toBe(before - 1);
    await expect(emu.waitForClientReceipt((r) => r.id === id)).resolves.toMatchObject({ to: `${CONTACT}@s.whatsapp.net` });
  });

  test('the session works both ways: a reply decrypts, and the next incoming message too', async () => {
    const reply = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'balasan' });
    await expect(emu.waitForMessage((m) => m.id === reply!.key.id && !m.isOwnDeviceCopy)).resolves.toMatchObject({ text: 'balasan' });
    const id = await emu.sendIncomingText(CONTACT, 'pesan kedua');
    expect((await upserted(id)).message?.conversation).toBe('pesan kedua');
  });

  test('LID-addressed incoming messages carry the phone number as remoteJidAlt', async () => {
    const id = await emu.sendIncomingText(CONTACT, 'lewat lid', { addressing: 'lid' });
    const message = await upserted(id);
    expect(message.message?.conversation).toBe('lewat lid');
    expect(message.key).toMatchObject({ remoteJid: `${CONTACT_LID}@lid`, remoteJidAlt: `${CONTACT}@s.whatsapp.net` });
  });

  test('a contact the companion never talked to can write first', async () => {
    const id = await emu.sendIncomingText('6285550001111', 'nomor baru');
    expect((await upserted(id)).message?.conversation).toBe('nomor baru');
  });
});
