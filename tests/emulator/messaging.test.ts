import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { deflateSync } from 'node:zlib';
import { proto } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { pairAndLogin, type Client } from './baileys-client.js';

const CONTACT = '6281234567890';
const { Status } = proto.WebMessageInfo;

/** A small valid PNG (solid colour), so Baileys' thumbnailer has something real to read. */
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('emulator: messages sent by the real Baileys', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({ contacts: [{ phone: CONTACT, lid: '123456789012345' }] });
    client = await pairAndLogin(emu);
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  test('a text is decrypted for the recipient and for the own phone (deviceSentMessage)', async () => {
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'hello from baileys' });
    const id = sent!.key.id!;
    const forContact = await emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(forContact).toMatchObject({ to: `${CONTACT}@s.whatsapp.net`, chat: `${CONTACT}@s.whatsapp.net`, type: 'text', text: 'hello from baileys' });
    expect(forContact.from).toBe(emu.pairedDevices()[0]!.jid);
    const ownCopy = await emu.waitForMessage((m) => m.id === id && m.isOwnDeviceCopy);
    expect(ownCopy).toMatchObject({
      to: emu.account.jid,
      chat: `${CONTACT}@s.whatsapp.net`,
      destinationJid: `${CONTACT}@s.whatsapp.net`,
      type: 'text',
      text: 'hello from baileys',
    });
    expect(ownCopy.rawMessage.deviceSentMessage?.message).toBeDefined();
  });

  test('delivery and read receipts become messages.update status 3 and 4', async () => {
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'receipts please' });
    const id = sent!.key.id!;
    await client.waitForStatus(id, Status.DELIVERY_ACK);
    emu.sendReceipt(id, 'read');
    await client.waitForStatus(id, Status.READ);
  });

  test('later messages reuse the session and still decrypt', async () => {
    for (const text of ['second', 'third']) {
      const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text });
      await expect(emu.waitForMessage((m) => m.id === sent!.key.id && !m.isOwnDeviceCopy)).resolves.toMatchObject({ text });
    }
  });

  test('any plausible number becomes a contact on demand, and LID-addressed sends map back to the phone', async () => {
    const other = '6289876543210';
    const sent = await client.sock.sendMessage(`${other}@s.whatsapp.net`, { text: 'to a stranger' });
    await expect(emu.waitForMessage((m) => m.id === sent!.key.id && !m.isOwnDeviceCopy)).resolves.toMatchObject({
      to: `${other}@s.whatsapp.net`,
      text: 'to a stranger',
    });

    const byLid = await client.sock.sendMessage('123456789012345@lid', { text: 'by lid' });
    const copy = await emu.waitForMessage((m) => m.id === byLid!.key.id && !m.isOwnDeviceCopy);
    expect(copy).toMatchObject({ to: `${CONTACT}@s.whatsapp.net`, recipientDevice: '123456789012345@lid', text: 'by lid' });
  });

  test('onWhatsApp answers from the directory', async () => {
    const before = emu.numberLookups.length;
    const result = await client.sock.onWhatsApp(CONTACT, '+6281377778888');
    expect(result).toEqual([
      { jid: `${CONTACT}@s.whatsapp.net`, exists: true },
      { jid: '6281377778888@s.whatsapp.net', exists: true },
    ]);
    // Each lookup is one query, counted with the numbers it asked about.
    expect(emu.numberLookups.slice(before)).toEqual([[CONTACT, '6281377778888']]);
  });

  test('an image is uploaded over HTTPS and decrypts to the original bytes', async () => {
    const original = png(64, 48);
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { image: original, caption: 'a picture', mimetype: 'image/png' });
    const copy = await emu.waitForMessage((m) => m.id === sent!.key.id && !m.isOwnDeviceCopy);
    expect(copy).toMatchObject({ type: 'image', caption: 'a picture' });
    expect(copy.mediaError).toBeUndefined();
    expect(copy.media?.bytes.equals(original)).toBe(true);
    expect(copy.media).toMatchObject({ mimetype: 'image/png' });
  });

  test('a document keeps its file name', async () => {
    const original = Buffer.from('%PDF-1.4 not really a pdf but bytes are bytes');
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { document: original, mimetype: 'application/pdf', fileName: 'report.pdf' });
    const copy = await emu.waitForMessage((m) => m.id === sent!.key.id && !m.isOwnDeviceCopy);
    expect(copy).toMatchObject({ type: 'document', media: { fileName: 'report.pdf', mimetype: 'application/pdf' } });
    expect(copy.media?.bytes.equals(original)).toBe(true);
  });
});
