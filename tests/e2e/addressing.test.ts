/**
 * Addressing and send options end to end, through the real Baileys socket to the emulator: sends to
 * a group arrive at every member (the emulator decrypts them with the sender key), a burst to one
 * group makes one metadata query, a group the account left answers 404; replies quote our own and
 * received messages (contextInfo as WhatsApp shows it), mentions arrive as mentionedJid; a contact
 * known only by LID gets a reply on every device; the outbox sends to groups too.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMessage } from '../../emulator/index.js';
import sharp from 'sharp';
import { E2EHarness, waitFor } from './support/harness.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const LID_ONLY = { phone: '6281234567899', lid: '123456789012399', pushName: 'Rahasia', companions: 1 };
const pn = (phone: string) => `${phone}@s.whatsapp.net`;
const CONTACTS = [{ phone: BUDI, lid: '123456789012345', pushName: 'Budi' }, { phone: SITI, lid: '123456789012346', pushName: 'Siti' }, LID_ONLY];

let png: Buffer;

/** contextInfo of the decrypted message, whatever its kind. */
function contextOf(m: ReceivedMessage) {
  const content = Object.values(m.message).find((v) => v && typeof v === 'object' && 'contextInfo' in v) as
    { contextInfo?: Record<string, unknown> } | undefined;
  return content?.contextInfo ?? {};
}

function linked(env: Record<string, string> = {}): Promise<E2EHarness> {
  return E2EHarness.startLinked({ emulator: { contacts: CONTACTS }, env });
}

/** Every member's decrypted copy of `id` (the account's own phone included), once all arrived. */
function memberCopies(h: E2EHarness, id: string, members: string[], timeoutMs = 10_000): Promise<ReceivedMessage[]> {
  return waitFor(
    () => {
      const copies = members.map((phone) => h.emu.messages.find((m) => m.id === id && m.to === pn(phone) && m.type !== 'undecryptable'));
      return copies.every(Boolean) ? (copies as ReceivedMessage[]) : undefined;
    },
    timeoutMs,
    `copies of ${id} for ${members.join(', ')}`,
  );
}

describe('addressing through the real socket and the emulator', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .png()
      .toBuffer();
    h = await linked();
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('a text and an image to a group arrive at every member, decrypted with the sender key', async () => {
    const group = h.emu.groups.create({ subject: 'Arisan', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const text = await h.api.post('/api/send-message').send({ group: group.jid, message: 'halo semua' }).expect(200);
    expect(text.body.data).toMatchObject({ group: group.jid, message: 'halo semua', type: 'text' });
    expect('phone' in text.body.data).toBe(false);
    for (const copy of await memberCopies(h, text.body.data.message_id, [BUDI, SITI]))
      expect(copy).toMatchObject({ type: 'text', text: 'halo semua', group: group.jid });

    const image = await h.api
      .post('/api/send-image')
      .field('group', group.jid.replace('@g.us', ''))
      .field('caption', 'foto')
      .attach('file', png, 'dot.png')
      .expect(200);
    for (const copy of await memberCopies(h, image.body.data.message_id, [BUDI, SITI])) {
      expect(copy).toMatchObject({ type: 'image', caption: 'foto', group: group.jid });
      expect(copy.media?.bytes.length).toBeGreaterThan(0);
    }
    const record = await h.api.get(`/api/messages/${image.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ group: group.jid, jid: group.jid });
  });

  test('a burst of 50 sends to one group makes one metadata query, and every member decrypts all 50', async () => {
    const group = h.emu.groups.create({ subject: 'Ramai', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const before = h.emu.groups.metadataQueries(group.jid);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.api.post('/api/send-message').send({ group: group.jid, message: `ramai ${i}` })));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    // One query, or none when the group's create notification already filled the cache: never 50.
    expect(h.emu.groups.metadataQueries(group.jid) - before).toBeLessThanOrEqual(1);
    for (const answer of answers) await memberCopies(h, answer.body.data.message_id, [BUDI, SITI], 30_000);
    expect(h.emu.messages.filter((m) => answers.some((a) => a.body.data.message_id === m.id) && m.type === 'undecryptable')).toEqual([]);
  }, 90_000);

  test('a group the account left: 404 Group not found, nothing recorded', async () => {
    const group = h.emu.groups.create({ subject: 'Pamit', participants: [h.emu.account.phone, BUDI], owner: BUDI });
    await h.api.post('/api/send-message').send({ group: group.jid, message: 'sebelum' }).expect(200);
    await h.api.post(`/api/groups/${group.jid}/leave`).expect(200);
    const res = await h.api.post('/api/send-message').send({ group: group.jid, message: 'sesudah' }).expect(404);
    expect(res.body).toMatchObject({ status: 'error', code: 'GROUP_NOT_FOUND', message: 'Group not found' });
    const records = await h.api.get('/api/messages').query({ limit: 5 }).expect(200);
    expect(records.body.data.some((r: { summary: string }) => r.summary === 'sesudah')).toBe(false);
  });

  test('a reply quoting our own sent message, with a mention', async () => {
    const first = await h.sendText(BUDI, 'pesan pertama').expect(200);
    const firstId = first.body.data.message_id as string;
    const reply = await h.api
      .post('/api/send-message')
      .send({ phone: BUDI, message: 'lihat ini @6281234567891', reply_to: firstId, mentions: [SITI] })
      .expect(200);
    const copy = await h.emu.waitForMessage((m) => m.id === reply.body.data.message_id && m.to === pn(BUDI) && !m.isOwnDeviceCopy);
    const context = contextOf(copy);
    expect(context).toMatchObject({
      stanzaId: firstId,
      participant: expect.stringMatching(new RegExp(`^(${h.emu.account.phone}|${h.emu.account.lid})@`)),
      mentionedJid: [pn(SITI)],
    });
    expect(
      (context.quotedMessage as { conversation?: string; extendedTextMessage?: { text?: string } }).extendedTextMessage?.text ??
        (context.quotedMessage as { conversation?: string }).conversation,
    ).toBe('pesan pertama');
  });

  test('a reply quoting a received message (also a caption reply on an image)', async () => {
    const receivedId = await h.emu.sendIncomingText(BUDI, 'apa kabar?');
    // The gateway keeps it as it arrives; a reply before that answers 404.
    await waitFor(
      async () => (await h.api.post('/api/send-message').send({ phone: BUDI, message: 'baik!', reply_to: receivedId })).status === 200 || undefined,
      5000,
      'reply accepted',
    );
    const copy = await h.emu.waitForMessage((m) => m.to === pn(BUDI) && m.text === 'baik!' && !m.isOwnDeviceCopy);
    expect(contextOf(copy)).toMatchObject({
      stanzaId: receivedId,
      participant: expect.stringMatching(/^(6281234567890|123456789012345)@/),
      quotedMessage: { conversation: 'apa kabar?' },
    });

    const image = await h.api
      .post('/api/send-image')
      .field('phone', BUDI)
      .field('caption', 'ini fotonya')
      .field('reply_to', receivedId)
      .attach('file', png, 'dot.png')
      .expect(200);
    const imageCopy = await h.emu.waitForMessage((m) => m.id === image.body.data.message_id && m.to === pn(BUDI) && !m.isOwnDeviceCopy);
    expect(contextOf(imageCopy)).toMatchObject({ stanzaId: receivedId, quotedMessage: { conversation: 'apa kabar?' } });
  });

  test('a contact known only by LID: a reply to its from_lid arrives on every device', async () => {
    await h.emu.sendIncomingText(LID_ONLY.phone, 'siapa ini?', { addressing: 'lid' });
    const lid = `${LID_ONLY.lid}@lid`;
    const res = await h.api.post('/api/send-message').send({ phone: lid, message: 'jawaban untuk LID' }).expect(200);
    expect(res.body.data.phone).toBe(lid);
    const copies = await waitFor(
      () => {
        const found = h.emu.messages.filter((m) => m.id === res.body.data.message_id && !m.isOwnDeviceCopy && m.type === 'text');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      'both devices of the LID contact',
    );
    expect(copies.map((m) => m.recipientDevice).sort()).toEqual([lid, `${LID_ONLY.lid}:1@lid`].sort());
    for (const copy of copies) expect(copy).toMatchObject({ text: 'jawaban untuk LID', to: pn(LID_ONLY.phone) });
  });
});

describe('group sends through the outbox', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await linked({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('group sends with the outbox on arrive at every member; the record is sent', async () => {
    const group = h.emu.groups.create({ subject: 'Antre', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => h.api.post('/api/send-message').send({ group: group.jid, message: `antre ${i}` })));
    for (const answer of answers) {
      expect([200, 202]).toContain(answer.status);
      expect(answer.body.data.group).toBe(group.jid);
      await memberCopies(h, answer.body.data.message_id, [BUDI, SITI]);
      await waitFor(
        async () => ['sent', 'delivered', 'read'].includes((await h.api.get(`/api/messages/${answer.body.data.id}`)).body.data.status) || undefined,
        10_000,
        'record sent',
      );
    }
  });
});
