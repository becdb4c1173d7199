import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BaileysEventMap, GroupMetadata } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { Client, pairAndLogin } from './baileys-client.js';
import { until } from './until.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const BUDI_LID = '123456789012345';
const SITI_LID = '123456789012346';
const pn = (phone: string): string => `${phone}@s.whatsapp.net`;

describe('emulator: group messages sent by the real Baileys (sender keys)', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;
  const receipts: BaileysEventMap['message-receipt.update'] = [];

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({
      contacts: [
        { phone: BUDI, lid: BUDI_LID, pushName: 'Budi' },
        { phone: SITI, lid: SITI_LID, pushName: 'Siti' },
      ],
    });
    client = await pairAndLogin(emu);
    client.sock.ev.on('message-receipt.update', (updates) => receipts.push(...updates));
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  for (const addressingMode of ['lid', 'pn'] as const) {
    test(`${addressingMode} group: every member phone opens the skmsg with the sender key it was given`, async () => {
      const group = emu.groups.create({ subject: `Grup ${addressingMode}`, participants: [BUDI, SITI], addressingMode });
      const sent = await client.sock.sendMessage(group.jid, { text: 'halo semua' });
      const id = sent!.key.id!;
      const copies = await until(() => {
        const found = emu.messages.filter((m) => m.id === id);
        return found.length === 3 ? found : undefined;
      }, 'three member copies');
      expect(copies.map((c) => c.to).sort()).toEqual([pn(emu.account.phone), pn(BUDI), pn(SITI)].sort());
      for (const copy of copies) {
        expect(copy).toMatchObject({ type: 'text', text: 'halo semua', group: group.jid, chat: group.jid });
      }
      const budi = copies.find((c) => c.to === pn(BUDI))!;
      expect(budi.recipientDevice).toBe(addressingMode === 'lid' ? `${BUDI_LID}@lid` : pn(BUDI));
      expect(budi.stanza).toMatchObject({ to: group.jid, addressing_mode: addressingMode });
      // The first message carried the sender key to each member's phone (and the account's own phone).
      const addressed = budi.senderKeyRecipients!.map((jid) => jid.split('@')[0]!.split(':')[0]);
      const user = (phone: string, lid: string): string => (addressingMode === 'lid' ? lid : phone);
      expect(addressed).toEqual(expect.arrayContaining([user(BUDI, BUDI_LID), user(SITI, SITI_LID), user(emu.account.phone, emu.account.lid)]));

      // The second reuses the sender key: no <participants>, still readable by everyone.
      const second = await client.sock.sendMessage(group.jid, { text: 'pesan kedua' });
      const again = await emu.waitForMessage((m) => m.id === second!.key.id && m.to === pn(SITI));
      expect(again).toMatchObject({ text: 'pesan kedua', senderKeyRecipients: [] });

      // Delivery receipts come from each member with participant, as in groups. Baileys merges one
      // that beats its own buffered upsert of the sent message into that upsert's userReceipt.
      const fromBudi = (userJid: string | null | undefined): boolean => !!userJid?.startsWith(user(BUDI, BUDI_LID));
      await until(
        () =>
          receipts.find((r) => r.key.id === id && fromBudi(r.receipt.userJid)) ??
          client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === id && m.userReceipt?.some((r) => fromBudi(r.userJid))),
        'receipt from Budi',
      );
    });
  }

  test('a member added later gets the sender key with the next message only', async () => {
    const group = emu.groups.create({ subject: 'Tambah anggota', participants: [BUDI] });
    const first = await client.sock.sendMessage(group.jid, { text: 'sebelum' });
    await emu.waitForMessage((m) => m.id === first!.key.id && m.to === pn(BUDI));
    await client.sock.groupParticipantsUpdate(group.jid, [pn(SITI)], 'add');
    const next = await client.sock.sendMessage(group.jid, { text: 'sesudah' });
    const siti = await emu.waitForMessage((m) => m.id === next!.key.id && m.to === pn(SITI));
    expect(siti).toMatchObject({ text: 'sesudah' });
    expect(siti.senderKeyRecipients!.map((jid) => jid.split(/[:@]/)[0])).toEqual([SITI_LID]);
  });

  test('without a metadata cache every send queries the group once; the count shows it', async () => {
    const group = emu.groups.create({ subject: 'Hitung', participants: [BUDI] });
    const before = emu.groups.metadataQueries(group.jid);
    for (let i = 0; i < 3; i++) await client.sock.sendMessage(group.jid, { text: `burst ${i}` });
    expect(emu.groups.metadataQueries(group.jid)).toBe(before + 3);
  });

  test('media in a group is decrypted from the upload for every member', async () => {
    const group = emu.groups.create({ subject: 'Media', participants: [BUDI] });
    const bytes = Buffer.from('%PDF-1.4 laporan');
    const sent = await client.sock.sendMessage(group.jid, { document: bytes, mimetype: 'application/pdf', fileName: 'laporan.pdf' });
    const copy = await emu.waitForMessage((m) => m.id === sent!.key.id && m.to === pn(BUDI));
    expect(copy.type).toBe('document');
    expect(copy.media?.bytes.equals(bytes)).toBe(true);
  });

  test('with a metadata cache (as the gateway keeps one) a burst of sends makes one query', async () => {
    const group = emu.groups.create({ subject: 'Cache', participants: [BUDI, SITI] });
    const cache = new Map<string, GroupMetadata>();
    // Same device, reconnected with Baileys' cachedGroupMetadata hook.
    await client.end();
    client = await Client.connect(emu, client.authDir, { cachedGroupMetadata: async (jid) => cache.get(jid) });
    await client.waitForOpen();
    const before = emu.groups.metadataQueries(group.jid);
    cache.set(group.jid, await client.sock.groupMetadata(group.jid));
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await client.sock.sendMessage(group.jid, { text: `burst ${i}` }))!.key.id!);
    expect(emu.groups.metadataQueries(group.jid)).toBe(before + 1);
    for (const id of ids) await emu.waitForMessage((m) => m.id === id && m.to === pn(SITI) && m.type === 'text');
  });

  test('concurrent sends to a fresh group are opened in order: every member decrypts every one', async () => {
    // As the gateway sends: metadata from one lookup shared by every send (cachedGroupMetadata), so
    // ten sends go out at once; only the first stanza carries the sender key. (The gateway-level
    // burst in tests/e2e/addressing.test.ts is the one that failed before openSend kept order.)
    const lookups = new Map<string, Promise<GroupMetadata>>();
    await client.end();
    client = await Client.connect(emu, client.authDir, {
      cachedGroupMetadata: (jid) => {
        if (!lookups.has(jid)) lookups.set(jid, client.sock.groupMetadata(jid));
        return lookups.get(jid)!;
      },
    });
    await client.waitForOpen();
    const group = emu.groups.create({ subject: 'Serentak', participants: [BUDI, SITI] });
    const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => client.sock.sendMessage(group.jid, { text: `serentak ${i}` })));
    const ids = sent.map((s) => s!.key.id!);
    const copies = await until(() => {
      const found = emu.messages.filter((m) => ids.includes(m.id) && !m.isOwnDeviceCopy);
      return found.length >= 20 ? found : undefined;
    }, 'twenty member copies');
    expect(copies.filter((c) => c.type === 'undecryptable').map((c) => c.error)).toEqual([]);
    for (const phone of [BUDI, SITI]) {
      expect(
        copies
          .filter((c) => c.to === pn(phone) && c.type === 'text')
          .map((c) => c.text)
          .sort(),
      ).toEqual(Array.from({ length: 10 }, (_, i) => `serentak ${i}`).sort());
    }
  });
});
