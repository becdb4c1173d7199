import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { pairAndLogin, type Client } from './baileys-client.js';
import { until } from './until.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const ANDI = '6281234567892';
const pn = (phone: string): string => `${phone}@s.whatsapp.net`;

describe('emulator: groups (w:g2 queries and w:gp2 notifications) with the real Baileys', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;
  const participantEvents: BaileysEventMap['group-participants.update'][] = [];
  const groupUpdates: BaileysEventMap['groups.update'] = [];
  const groupUpserts: BaileysEventMap['groups.upsert'] = [];

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({
      contacts: [
        { phone: BUDI, lid: '123456789012345', pushName: 'Budi' },
        { phone: SITI, lid: '123456789012346', pushName: 'Siti' },
        { phone: ANDI, lid: '123456789012347', pushName: 'Andi' },
      ],
      notOnWhatsApp: ['6280000000000'],
    });
    client = await pairAndLogin(emu);
    client.sock.ev.on('group-participants.update', (event) => participantEvents.push(event));
    client.sock.ev.on('groups.update', (updates) => groupUpdates.push(...updates));
    client.sock.ev.on('groups.upsert', (upserts) => groupUpserts.push(...upserts));
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  test('metadata of a LID group: subject, description, owner, admins, phone numbers; each query is counted', async () => {
    const group = emu.groups.create({ subject: 'Arisan RT 05', participants: [emu.account.phone, SITI], owner: BUDI, description: 'Kumpul tiap Minggu' });
    expect(group.jid).toMatch(/^120363\d{12}@g.us$/);
    // The account was added at creation: its companion hears of it (w:gp2 create).
    await until(() => groupUpserts.find((g) => g.id === group.jid), 'groups.upsert');
    const before = emu.groups.metadataQueries(group.jid);
    const meta = await client.sock.groupMetadata(group.jid);
    expect(emu.groups.metadataQueries(group.jid)).toBe(before + 1);
    expect(meta).toMatchObject({
      id: group.jid,
      subject: 'Arisan RT 05',
      desc: 'Kumpul tiap Minggu',
      owner: '123456789012345@lid',
      ownerPn: pn(BUDI),
      addressingMode: 'lid',
      size: 3,
      announce: false,
      restrict: false,
    });
    const budi = meta.participants.find((p) => p.id === '123456789012345@lid');
    expect(budi).toMatchObject({ phoneNumber: pn(BUDI), admin: 'superadmin' });
    expect(meta.participants.find((p) => p.phoneNumber === pn(emu.account.phone))).toMatchObject({ id: emu.account.lidJid, admin: null });
  });

  test('groupFetchAllParticipating lists the groups the account is in, and only those', async () => {
    const mine = emu.groups.create({ subject: 'Keluarga', participants: [SITI], addressingMode: 'pn' });
    const notMine = emu.groups.create({ subject: 'Bukan grupku', participants: [SITI], owner: BUDI });
    const all = await client.sock.groupFetchAllParticipating();
    expect(all[mine.jid]).toMatchObject({ subject: 'Keluarga', addressingMode: 'pn', owner: pn(emu.account.phone) });
    expect(all[notMine.jid]).toBeUndefined();
  });

  test('groupCreate makes the account the superadmin and leaves out numbers not on WhatsApp', async () => {
    const meta = await client.sock.groupCreate('Proyek', [pn(BUDI), pn(SITI), pn('6280000000000')]);
    const info = emu.groups.info(meta.id)!;
    expect(info.subject).toBe('Proyek');
    expect(info.participants).toEqual(
      expect.arrayContaining([
        { phone: emu.account.phone, admin: 'superadmin' },
        { phone: BUDI, admin: null },
        { phone: SITI, admin: null },
      ]),
    );
    expect(info.participants).toHaveLength(3);
    expect(meta.participants).toHaveLength(3);
  });

  test('participants add/promote/demote/remove answer per participant and notify', async () => {
    const { id } = await client.sock.groupCreate('Panitia', [pn(BUDI)]);
    const added = await client.sock.groupParticipantsUpdate(id, [pn(ANDI), pn(BUDI), pn('6280000000000')], 'add');
    expect(added.map((r) => [r.jid, r.status])).toEqual([
      [pn(ANDI), '200'],
      [pn(BUDI), '409'],
      [pn('6280000000000'), '403'],
    ]);
    await until(() => participantEvents.find((e) => e.id === id && e.action === 'add'), 'add event');
    const promoted = await client.sock.groupParticipantsUpdate(id, [pn(ANDI)], 'promote');
    expect(promoted[0]!.status).toBe('200');
    expect(emu.groups.info(id)!.participants).toContainEqual({ phone: ANDI, admin: 'admin' });
    await client.sock.groupParticipantsUpdate(id, [pn(ANDI)], 'demote');
    expect(emu.groups.info(id)!.participants).toContainEqual({ phone: ANDI, admin: null });
    const removed = await client.sock.groupParticipantsUpdate(id, [pn(ANDI), pn(SITI)], 'remove');
    expect(removed.map((r) => r.status)).toEqual(['200', '404']);
    expect(emu.groups.info(id)!.participants.map((p) => p.phone)).not.toContain(ANDI);
    await until(() => participantEvents.find((e) => e.id === id && e.action === 'remove'), 'remove event');
  });

  test('a member who is not an admin is refused changes (403)', async () => {
    const group = emu.groups.create({ subject: 'Bukan admin', participants: [emu.account.phone, SITI], owner: BUDI });
    await expect(client.sock.groupParticipantsUpdate(group.jid, [pn(ANDI)], 'add')).rejects.toThrow(/forbidden/);
    await expect(client.sock.groupInviteCode(group.jid)).rejects.toThrow(/forbidden/);
    await expect(client.sock.groupMetadata('120363000000000000@g.us')).rejects.toThrow(/item-not-found/);
  });

  test('subject, description, settings and invite code change the state and notify', async () => {
    const { id } = await client.sock.groupCreate('Lama', [pn(BUDI)]);
    await client.sock.groupUpdateSubject(id, 'Baru');
    await client.sock.groupUpdateDescription(id, 'Deskripsi baru');
    await client.sock.groupSettingUpdate(id, 'announcement');
    await client.sock.groupSettingUpdate(id, 'locked');
    expect(emu.groups.info(id)).toMatchObject({ subject: 'Baru', description: 'Deskripsi baru', announce: true, restrict: true });
    await until(() => groupUpdates.find((u) => u.id === id && u.subject === 'Baru'), 'subject update');
    await until(() => groupUpdates.find((u) => u.id === id && u.announce === true), 'announce update');
    const code = await client.sock.groupInviteCode(id);
    expect(code).toBe(emu.groups.info(id)!.inviteCode);
    const revoked = await client.sock.groupRevokeInvite(id);
    expect(revoked).not.toBe(code);
    expect(emu.groups.info(id)!.inviteCode).toBe(revoked);
  });

  test('changes by another member reach the companion as w:gp2 notifications', async () => {
    const group = emu.groups.create({ subject: 'Oleh Budi', participants: [emu.account.phone], owner: BUDI });
    emu.groups.updateParticipants(group.jid, [ANDI], 'add', BUDI);
    const event = await until(() => participantEvents.find((e) => e.id === group.jid && e.action === 'add'), 'add by Budi');
    expect(event.participants.map((p) => p.phoneNumber)).toEqual([pn(ANDI)]);
    expect(event.author).toBe('123456789012345@lid');
    emu.groups.setSubject(group.jid, 'Diganti Budi', BUDI);
    await until(() => groupUpdates.find((u) => u.id === group.jid && u.subject === 'Diganti Budi'), 'subject by Budi');
  });

  test('leave removes the account and is announced as its own removal', async () => {
    const { id } = await client.sock.groupCreate('Pergi', [pn(BUDI)]);
    await client.sock.groupLeave(id);
    expect(emu.groups.info(id)!.participants.map((p) => p.phone)).toEqual([BUDI]);
    // Baileys reads a removal whose actor is the removed member as leaving (stub GROUP_PARTICIPANT_LEAVE).
    const event = await until(() => participantEvents.find((e) => e.id === id && e.action === 'remove'), 'leave event');
    expect(event.participants.map((p) => p.phoneNumber)).toEqual([pn(emu.account.phone)]);
    expect(event.author).toBe(emu.account.lidJid);
    await expect(client.sock.groupMetadata(id)).rejects.toThrow(/forbidden/);
  });
});
