/**
 * `phone` / `group` addressing and the `reply_to` / `mentions` options on every send endpoint
 * (text as JSON, form and multipart; every media kind as multipart; media by base64), through the
 * real app with the fake transport: each error on each endpoint, and what reaches the transport.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { MEDIA_KINDS, type MediaKind } from '../../src/domain/vocabulary.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import type { MessageContext } from '../../src/whatsapp/transport.js';
import { FAKE_ACCOUNT_PHONE } from '../support/fake-groups.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const SITI = '6281234567891';
const BUDI = '6281234567890';
const SAMPLE: Record<MediaKind, { file: Buffer; name: string }> = {
  image: { file: SAMPLE_FILES.jpg!, name: 'photo.jpg' },
  document: { file: SAMPLE_FILES.pdf!, name: 'report.pdf' },
  audio: { file: SAMPLE_FILES.mp3!, name: 'voice.mp3' },
  video: { file: SAMPLE_FILES.mp4!, name: 'clip.mp4' },
  sticker: { file: SAMPLE_FILES.webp!, name: 'sticker.webp' },
};

type Fields = Record<string, string | string[] | undefined>;
interface Variant {
  name: string;
  send(t: TestApp, fields: Fields): request.Test;
}

const defined = (fields: Fields) => Object.entries(fields).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined);
/** Multipart and form bodies carry a list comma-separated, as the docs say. */
const flat = (value: string | string[]) => (Array.isArray(value) ? value.join(',') : value);

const VARIANTS: Variant[] = [
  {
    name: 'send-message (JSON)',
    send: (t, f) =>
      request(t.app)
        .post('/api/send-message')
        .send({ message: 'Halo @6281234567890', ...Object.fromEntries(defined(f)) }),
  },
  {
    name: 'send-message (form)',
    send: (t, f) =>
      request(t.app)
        .post('/api/send-message')
        .type('form')
        .send({ message: 'Halo', ...Object.fromEntries(defined(f).map(([k, v]) => [k, flat(v)])) }),
  },
  {
    name: 'send-message (multipart)',
    send: (t, f) => defined(f).reduce((req, [k, v]) => req.field(k, flat(v)), request(t.app).post('/api/send-message').field('message', 'Halo')),
  },
  ...MEDIA_KINDS.map((kind): Variant => ({
    name: `${DEFAULT_UPLOAD_POLICIES[kind].endpoint} (multipart)`,
    send: (t, f) =>
      defined(f)
        .reduce((req, [k, v]) => req.field(k, flat(v)), request(t.app).post(DEFAULT_UPLOAD_POLICIES[kind].endpoint))
        .attach('file', SAMPLE[kind].file, SAMPLE[kind].name),
  })),
  {
    name: '/api/send-image (JSON base64)',
    send: (t, f) =>
      request(t.app)
        .post('/api/send-image')
        .send({ base64: `data:image/png;base64,${SAMPLE_FILES.png!.toString('base64')}`, filename: 'dot.png', ...Object.fromEntries(defined(f)) }),
  },
];

let t: TestApp;
let group: string;
let notMine: string;
let received: string;

beforeAll(async () => {
  t = await buildTestApp();
  group = t.transport.groups.seed({ subject: 'Arisan', members: [FAKE_ACCOUNT_PHONE, SITI], owner: BUDI });
  notMine = t.transport.groups.seed({ subject: 'Bukan', members: [SITI], owner: BUDI });
  received = 'RECEIVED0000000001';
  t.transport.events.emit('incoming-message', {
    messageId: received,
    from: `${BUDI}@s.whatsapp.net`,
    chat: `${BUDI}@s.whatsapp.net`,
    fromPhoneJid: `${BUDI}@s.whatsapp.net`,
    fromLid: '123456789012345@lid',
    timestamp: 1_700_000_000,
    type: 'conversation',
    kind: 'text',
    text: 'apa kabar?',
    raw: JSON.stringify({ key: { remoteJid: `${BUDI}@s.whatsapp.net`, fromMe: false, id: received }, message: { conversation: 'apa kabar?' } }),
  });
  // Kept by the records wiring before any reply is tried.
  for (let i = 0; i < 100 && !(await t.services.incoming.get(received)); i++) await new Promise((r) => setTimeout(r, 10));
});
afterAll(() => t?.cleanup());

/** The context the transport was given with the last send. */
function lastContext(): MessageContext | undefined {
  const last = t.transport.sent.at(-1)!;
  return last.context ?? last.media?.context;
}

describe.each(VARIANTS)('$name', (variant) => {
  const errors: Array<[string, number, string, string, () => Fields]> = [
    ['phone and group', 400, 'RECIPIENT_CONFLICT', 'Send to either "phone" or "group", not both', () => ({ phone: BUDI, group })],
    ['neither phone nor group', 400, 'PHONE_REQUIRED', 'Phone number required', () => ({})],
    ['a group id that is none', 400, 'INVALID_GROUP_ID', 'Invalid group id: expected 120363012345678901@g.us or its digits', () => ({ group: 'arisan' })],
    ['a group the account is not in', 404, 'GROUP_NOT_FOUND', 'Group not found', () => ({ group: notMine })],
    [
      'a reply_to that is no message id',
      400,
      'INVALID_REPLY_TO',
      'Invalid reply_to: expected a WhatsApp message id',
      () => ({ phone: BUDI, reply_to: 'not an id!' }),
    ],
    ['an unknown reply_to', 404, 'MESSAGE_NOT_FOUND', 'Message not found', () => ({ phone: BUDI, reply_to: '3EB0FFFFFFFFFFFFFFFF' })],
    ['a reply_to from another chat', 404, 'MESSAGE_NOT_FOUND', 'Message not found', () => ({ phone: SITI, reply_to: received })],
    ['a mention that is no number', 400, 'INVALID_MENTIONS', 'Invalid mentions: "budi" is not a phone number', () => ({ phone: BUDI, mentions: ['budi'] })],
  ];
  test.each(errors)('%s → %i %s', async (_what, status, code, message, fields) => {
    const before = t.transport.sent.length;
    const res = await variant.send(t, fields()).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent.length).toBe(before);
  });

  test('to a group: sent to its JID, data.group echoes it (no phone), the record shows the group', async () => {
    const digits = group.replace('@g.us', '');
    const res = await variant.send(t, { group: digits }).expect(200);
    expect(res.body.data.group).toBe(group);
    expect('phone' in res.body.data).toBe(false);
    expect(t.transport.sent.at(-1)!.jid).toBe(group);
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ jid: group, group, phone: group });
  });

  test('to a LID: sent to the LID JID, data.phone echoes it', async () => {
    const res = await variant.send(t, { phone: '123456789012345@lid' }).expect(200);
    expect(res.body.data.phone).toBe('123456789012345@lid');
    expect(t.transport.sent.at(-1)!.jid).toBe('123456789012345@lid');
  });

  test('a reply to our own message and to a received one, with mentions', async () => {
    const first = await request(t.app).post('/api/send-message').send({ phone: BUDI, message: 'pertama' }).expect(200);
    await variant.send(t, { phone: BUDI, reply_to: first.body.data.message_id, mentions: [BUDI, '+62 812-3456-7891'] }).expect(200);
    expect(lastContext()).toMatchObject({
      quotedId: first.body.data.message_id,
      quoted: { fromMe: true },
      mentions: [`${BUDI}@s.whatsapp.net`, `${SITI}@s.whatsapp.net`],
    });
    await variant.send(t, { phone: BUDI, reply_to: received }).expect(200);
    expect(lastContext()).toMatchObject({ quotedId: received, quoted: { fromMe: false, incomingRaw: expect.stringContaining(received) } });
  });
});

describe('group sends and the outbox', () => {
  test('queued while disconnected; a group the account is not in fails the record with the reason when the outbox sends it', async () => {
    const q = await buildTestApp({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' });
    try {
      const mine = q.transport.groups.seed({ subject: 'Arisan', members: [FAKE_ACCOUNT_PHONE, SITI], owner: BUDI });
      const gone = q.transport.groups.seed({ subject: 'Bukan', members: [SITI], owner: BUDI });
      q.transport.setPhase('connecting');
      const ok = await request(q.app).post('/api/send-message').send({ group: mine, message: 'nanti' }).expect(202);
      const refused = await request(q.app).post('/api/send-message').send({ group: gone, message: 'nanti juga' }).expect(202);
      expect(refused.body.data).toMatchObject({ group: gone, delivery_status: 'queued' });
      q.transport.setPhase('open');
      const recordOf = async (id: string) => (await request(q.app).get(`/api/messages/${id}`)).body.data;
      for (let i = 0; i < 300 && (await recordOf(refused.body.data.id)).status !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await recordOf(refused.body.data.id)).toMatchObject({ status: 'failed', error: 'Group not found: the account is not in this group', group: gone });
      expect(await recordOf(ok.body.data.id)).toMatchObject({ status: 'sent', group: mine });
      expect(q.transport.sent.map((s) => s.jid)).toEqual([mine]);

      // A queued reply keeps its quote and mentions in the job.
      q.transport.setPhase('connecting');
      await request(q.app)
        .post('/api/send-message')
        .send({ group: mine, message: 'balas', reply_to: ok.body.data.message_id, mentions: [SITI] })
        .expect(202);
      q.transport.setPhase('open');
      for (let i = 0; i < 300 && q.transport.sent.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(q.transport.sent[1]).toMatchObject({
        jid: mine,
        text: 'balas',
        context: { quotedId: ok.body.data.message_id, quoted: { fromMe: true }, mentions: [`${SITI}@s.whatsapp.net`] },
      });
    } finally {
      await q.cleanup();
    }
  });
});
