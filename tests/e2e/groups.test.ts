/**
 * Groups end to end: the group routes through the real Baileys socket to the emulator, which keeps
 * the groups as WhatsApp's server does (w:g2 queries, w:gp2 notifications). Also: another member's
 * change reaches webhooks as group.update, and group metadata is cached, so repeated lookups and
 * group sends through the socket make one metadata query, refreshed after a member change.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startReceiver } from '../webhooks/receiver.js';
import { E2EHarness, waitFor } from './support/harness.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const ANDI = '6281234567892';
const DEWI = '6281234567893';
const NOT_ON_WHATSAPP = '6280000000000';
const BUDI_LID = '123456789012345@lid';

interface Member {
  phone: string | null;
  lid: string | null;
  admin: string | null;
}
interface GroupBody {
  id: string;
  subject: string;
  description: string | null;
  owner: string | null;
  created_at: string | null;
  participants: Member[];
}
interface WebhookBody {
  event: string;
  data: Record<string, unknown>;
}

describe('groups through the real socket and the emulator', () => {
  let h: E2EHarness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const events = () => receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody);

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await E2EHarness.startLinked({
      emulator: {
        contacts: [
          { phone: BUDI, lid: '123456789012345', pushName: 'Budi' },
          { phone: SITI, lid: '123456789012346', pushName: 'Siti' },
          { phone: ANDI, lid: '123456789012347', pushName: 'Andi' },
          { phone: DEWI, lid: '123456789012348', pushName: 'Dewi' },
        ],
        notOnWhatsApp: [NOT_ON_WHATSAPP],
      },
      env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'groups-test-secret-0123456789', WEBHOOK_BACKOFF_BASE_MS: '50' },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  test('create: the emulator has the group with the account as superadmin; numbers not on WhatsApp are left out', async () => {
    const res = await h.api
      .post('/api/groups')
      .send({ subject: 'Arisan RT 05', participants: [BUDI, `+${SITI}`, NOT_ON_WHATSAPP] })
      .expect(201);
    expect(res.body).toMatchObject({ status: 'success', message: 'Group created successfully' });
    const group = res.body.data as GroupBody;
    expect(group.id).toMatch(/^120363\d+@g\.us$/);
    const info = h.emu.groups.info(group.id)!;
    expect(info.subject).toBe('Arisan RT 05');
    expect(new Set(info.participants)).toEqual(
      new Set([
        { phone: h.emu.account.phone, admin: 'superadmin' },
        { phone: BUDI, admin: null },
        { phone: SITI, admin: null },
      ]),
    );
    expect(group).toMatchObject({ subject: 'Arisan RT 05', owner: h.emu.account.phone, description: null });
    expect(Date.parse(group.created_at!)).toBeGreaterThan(Date.now() - 60_000);
    expect(group.participants).toEqual(
      expect.arrayContaining([
        { phone: h.emu.account.phone, lid: h.emu.account.lidJid, admin: 'superadmin' },
        { phone: BUDI, lid: BUDI_LID, admin: null },
      ]),
    );
  });

  test('list and info: what WhatsApp has, by JID or bare digits; groups the account is not in are not listed', async () => {
    const mine = h.emu.groups.create({ subject: 'Keluarga', participants: [h.emu.account.phone, SITI], owner: BUDI, description: 'Grup keluarga' });
    const notMine = h.emu.groups.create({ subject: 'Bukan grupku', participants: [SITI], owner: BUDI });
    const list = await h.api.get('/api/groups').expect(200);
    expect(list.body.message).toBe('Groups retrieved successfully');
    const listed = list.body.data as Array<Record<string, unknown>>;
    expect(listed.find((g) => g.id === mine.jid)).toEqual({
      id: mine.jid,
      subject: 'Keluarga',
      participants: 3,
      announce: false,
      restrict: false,
      owner: BUDI,
    });
    expect(listed.find((g) => g.id === notMine.jid)).toBeUndefined();

    const info = await h.api.get(`/api/groups/${mine.jid.replace('@g.us', '')}`).expect(200);
    expect(info.body).toMatchObject({
      status: 'success',
      message: 'Group retrieved successfully',
      data: { id: mine.jid, subject: 'Keluarga', description: 'Grup keluarga', owner: BUDI },
    });
    expect((info.body.data as GroupBody).participants).toContainEqual({ phone: BUDI, lid: BUDI_LID, admin: 'superadmin' });

    // A phone-addressed group names members by phone JID, with their LID beside it.
    const pnGroup = h.emu.groups.create({ subject: 'PN', participants: [h.emu.account.phone, SITI], owner: BUDI, addressingMode: 'pn' });
    const pnInfo = await h.api.get(`/api/groups/${pnGroup.jid}`).expect(200);
    expect((pnInfo.body.data as GroupBody).participants).toEqual(
      expect.arrayContaining([
        { phone: BUDI, lid: BUDI_LID, admin: 'superadmin' },
        { phone: SITI, lid: '123456789012346@lid', admin: null },
      ]),
    );

    const notIn = await h.api.get(`/api/groups/${encodeURIComponent(notMine.jid)}`).expect(404);
    expect(notIn.body).toMatchObject({ status: 'error', code: 'GROUP_NOT_FOUND', message: 'Group not found' });
    const unknown = await h.api.get('/api/groups/120363999999999999@g.us').expect(404);
    expect(unknown.body.code).toBe('GROUP_NOT_FOUND');
  });

  test('participants: add (already in: 409, not on WhatsApp: 403), promote, demote, remove (not a member: 404)', async () => {
    const { body } = await h.api
      .post('/api/groups')
      .send({ subject: 'Panitia', participants: [BUDI] })
      .expect(201);
    const id = (body.data as GroupBody).id;
    const path = `/api/groups/${id}/participants`;

    const added = await h.api
      .post(path)
      .send({ action: 'add', participants: [ANDI, BUDI, NOT_ON_WHATSAPP] })
      .expect(200);
    expect(added.body).toEqual({
      status: 'success',
      message: 'Participants updated successfully',
      data: [
        { phone: ANDI, status: 200 },
        { phone: BUDI, status: 409 },
        { phone: NOT_ON_WHATSAPP, status: 403 },
      ],
    });
    expect(h.emu.groups.info(id)!.participants).toContainEqual({ phone: ANDI, admin: null });

    await h.api
      .post(path)
      .send({ action: 'promote', participants: [ANDI] })
      .expect(200);
    expect(h.emu.groups.info(id)!.participants).toContainEqual({ phone: ANDI, admin: 'admin' });
    // Read-your-writes: the cache was dropped by the change, so info shows it at once.
    const promoted = await h.api.get(`/api/groups/${id}`).expect(200);
    expect((promoted.body.data as GroupBody).participants).toContainEqual(expect.objectContaining({ phone: ANDI, admin: 'admin' }));

    await h.api
      .post(path)
      .send({ action: 'demote', participants: [ANDI] })
      .expect(200);
    expect(h.emu.groups.info(id)!.participants).toContainEqual({ phone: ANDI, admin: null });

    const removed = await h.api
      .post(path)
      .send({ action: 'remove', participants: [ANDI, SITI] })
      .expect(200);
    expect(removed.body.data).toEqual([
      { phone: ANDI, status: 200 },
      { phone: SITI, status: 404 },
    ]);
    expect(h.emu.groups.info(id)!.participants.map((p) => p.phone)).not.toContain(ANDI);
  });

  test("subject and description change on WhatsApp; invite code and link are the group's", async () => {
    const { body } = await h.api
      .post('/api/groups')
      .send({ subject: 'Lama', participants: [BUDI] })
      .expect(201);
    const id = (body.data as GroupBody).id;
    const patched = await h.api.patch(`/api/groups/${id}`).send({ subject: 'Baru', description: 'Deskripsi baru' }).expect(200);
    expect(patched.body).toMatchObject({ message: 'Group updated successfully', data: { id, subject: 'Baru', description: 'Deskripsi baru' } });
    expect(h.emu.groups.info(id)).toMatchObject({ subject: 'Baru', description: 'Deskripsi baru' });

    const cleared = await h.api.patch(`/api/groups/${id}`).send({ description: null }).expect(200);
    expect(cleared.body.data).toMatchObject({ subject: 'Baru', description: null });
    expect(h.emu.groups.info(id)!.description).toBeUndefined();

    const invite = await h.api.get(`/api/groups/${id}/invite-code`).expect(200);
    const code = h.emu.groups.info(id)!.inviteCode;
    expect(invite.body).toEqual({
      status: 'success',
      message: 'Invite code retrieved successfully',
      data: { id, code, link: `https://chat.whatsapp.com/${code}` },
    });
  });

  test('a member who is not an admin: changes answer 403; a group the account is not in: 404', async () => {
    const member = h.emu.groups.create({ subject: 'Bukan admin', participants: [h.emu.account.phone, SITI], owner: BUDI });
    const forbidden = await h.api
      .post(`/api/groups/${member.jid}/participants`)
      .send({ action: 'add', participants: [ANDI] })
      .expect(403);
    expect(forbidden.body).toMatchObject({ status: 'error', code: 'GROUP_ADMIN_REQUIRED' });
    expect((await h.api.get(`/api/groups/${member.jid}/invite-code`).expect(403)).body.code).toBe('GROUP_ADMIN_REQUIRED');
    expect(h.emu.groups.info(member.jid)!.participants.map((p) => p.phone)).not.toContain(ANDI);

    const other = h.emu.groups.create({ subject: 'Orang lain', participants: [SITI], owner: BUDI });
    for (const res of [
      await h.api.post(`/api/groups/${other.jid}/participants`).send({ action: 'add', participants: [ANDI] }),
      await h.api.patch(`/api/groups/${other.jid}`).send({ subject: 'Diambil alih' }),
      await h.api.get(`/api/groups/${other.jid}/invite-code`),
      await h.api.post(`/api/groups/${other.jid}/leave`),
    ]) {
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'GROUP_NOT_FOUND' });
    }
    expect(h.emu.groups.info(other.jid)!.subject).toBe('Orang lain');
  });

  test("another member's changes arrive as group.update webhooks", async () => {
    const group = h.emu.groups.create({ subject: 'Oleh Budi', participants: [h.emu.account.phone], owner: BUDI });
    await waitFor(() => events().find((e) => e.event === 'group.update' && e.data.group === group.jid && e.data.action === 'create'), 5000, 'the create event');

    h.emu.groups.updateParticipants(group.jid, [ANDI], 'add', BUDI);
    const added = await waitFor(
      () => events().find((e) => e.event === 'group.update' && e.data.group === group.jid && e.data.action === 'add'),
      5000,
      'the add event',
    );
    expect(added.data).toEqual({
      group: group.jid,
      author: { phone: BUDI, lid: BUDI_LID },
      action: 'add',
      participants: [{ phone: ANDI, lid: '123456789012347@lid' }],
      subject: null,
      description: null,
      announce: null,
      restrict: null,
    });

    h.emu.groups.setSubject(group.jid, 'Diganti Budi', BUDI);
    const renamed = await waitFor(
      () => events().find((e) => e.event === 'group.update' && e.data.group === group.jid && e.data.subject === 'Diganti Budi'),
      5000,
      'the subject event',
    );
    expect(renamed.data).toMatchObject({ action: null, participants: [], author: { phone: BUDI, lid: BUDI_LID } });

    h.emu.groups.setDescription(group.jid, 'Aturan baru', BUDI);
    h.emu.groups.setSetting(group.jid, 'announcement', BUDI);
    h.emu.groups.updateParticipants(group.jid, [ANDI], 'promote', BUDI);
    const find = (what: string, match: (data: Record<string, unknown>) => boolean) =>
      waitFor(() => events().find((e) => e.event === 'group.update' && e.data.group === group.jid && match(e.data)), 5000, what);
    expect((await find('the description event', (d) => d.description !== null)).data).toMatchObject({
      description: 'Aturan baru',
      subject: null,
      announce: null,
    });
    expect((await find('the announce event', (d) => d.announce !== null)).data).toMatchObject({ announce: true, description: null, restrict: null });
    expect((await find('the promote event', (d) => d.action === 'promote')).data).toMatchObject({
      participants: [{ phone: ANDI, lid: '123456789012347@lid' }],
      author: { phone: BUDI },
    });
  });

  test('metadata is cached: lookups and group sends through the socket make one query, refreshed after a member change', async () => {
    const group = h.emu.groups.create({ subject: 'Cache', participants: [h.emu.account.phone, SITI], owner: BUDI });
    await h.api.get(`/api/groups/${group.jid}`).expect(200); // warm
    const warmed = h.emu.groups.metadataQueries(group.jid);
    for (let i = 0; i < 10; i++) await h.api.get(`/api/groups/${group.jid}`).expect(200);
    expect(h.emu.groups.metadataQueries(group.jid)).toBe(warmed);

    // Group sends through the real socket take the members from the same cache (cachedGroupMetadata).
    const transport = h.gateway.transport;
    // One after another: concurrent first sends to a group race Baileys' sender-key distribution
    // (the send path's business, not the cache's).
    const sends = [];
    for (let i = 0; i < 5; i++) sends.push(await transport.send(group.jid, { kind: 'text', text: `burst ${i}` }));
    expect(h.emu.groups.metadataQueries(group.jid)).toBe(warmed);
    for (const sent of sends)
      await h.emu.waitForMessage((m) => m.id === sent.messageId && m.group === group.jid && m.to === `${SITI}@s.whatsapp.net` && m.type === 'text');

    // Another member adds Dewi: the cached members are dropped; the next lookup asks once and sees her.
    h.emu.groups.updateParticipants(group.jid, [DEWI], 'add', BUDI);
    await waitFor(() => events().find((e) => e.event === 'group.update' && e.data.group === group.jid && e.data.action === 'add'), 5000, 'the add event');
    const after = await h.api.get(`/api/groups/${group.jid}`).expect(200);
    expect((after.body.data as GroupBody).participants.map((p) => p.phone)).toContain(DEWI);
    for (let i = 0; i < 5; i++) await h.api.get(`/api/groups/${group.jid}`).expect(200);
    expect(h.emu.groups.metadataQueries(group.jid)).toBe(warmed + 1);
    // The new member gets the next group send (with the sender key): the socket used the fresh list.
    const next = await transport.send(group.jid, { kind: 'text', text: 'hello Dewi' });
    const got = await h.emu.waitForMessage((m) => m.id === next.messageId && m.to === `${DEWI}@s.whatsapp.net`);
    expect(got.text).toBe('hello Dewi');
    expect(h.emu.groups.metadataQueries(group.jid)).toBe(warmed + 1);
  });

  test('a burst of concurrent group sends to a group never looked up makes one metadata query', async () => {
    const group = h.emu.groups.create({ subject: 'Burst', participants: [h.emu.account.phone, SITI], owner: BUDI });
    const before = h.emu.groups.metadataQueries(group.jid);
    const sends = await Promise.all(Array.from({ length: 10 }, (_, i) => h.gateway.transport.send(group.jid, { kind: 'text', text: `concurrent ${i}` })));
    expect(new Set(sends.map((s) => s.messageId)).size).toBe(10);
    expect(h.emu.groups.metadataQueries(group.jid)).toBe(before + 1);
    // What the members decrypt of a concurrent burst is the send path's to prove (see the report:
    // the emulator opens a sender's group stanzas concurrently, so later ones can beat the key).
  });

  test('leave: the account is out of the group; afterwards the group is not found', async () => {
    const { body } = await h.api
      .post('/api/groups')
      .send({ subject: 'Pergi', participants: [BUDI] })
      .expect(201);
    const id = (body.data as GroupBody).id;
    await h.api.get(`/api/groups/${id}`).expect(200);
    const left = await h.api.post(`/api/groups/${id}/leave`).expect(200);
    expect(left.body).toEqual({ status: 'success', message: 'Left the group successfully', data: { id } });
    expect(h.emu.groups.info(id)!.participants.map((p) => p.phone)).toEqual([BUDI]);
    expect((await h.api.get(`/api/groups/${id}`).expect(404)).body.code).toBe('GROUP_NOT_FOUND');
  });

  test('while WhatsApp is unreachable the group routes answer 503 Bot not connected, as sends do', async () => {
    await h.emu.goAway();
    try {
      await h.waitForStatus((s) => !s.bot_connected, 5000, 'disconnected');
      const res = await h.api.get('/api/groups').expect(503);
      expect(res.body).toMatchObject({ code: 'BOT_NOT_CONNECTED', message: 'Bot not connected' });
      expect(
        (
          await h.api
            .post('/api/groups')
            .send({ subject: 'x', participants: [BUDI] })
            .expect(503)
        ).body.code,
      ).toBe('BOT_NOT_CONNECTED');
    } finally {
      await h.emu.comeBack();
    }
    await h.waitForConnected(15_000);
  });
});
