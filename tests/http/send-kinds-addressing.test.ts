/**
 * `phone` / `group` addressing and the `reply_to` / `mentions` options on the four kinds (location,
 * contact, reaction, poll), through the real app with the fake transport: the same errors in the
 * same order as send-message and the media endpoints (tests/http/send-addressing.test.ts), what
 * reaches the transport, and a reaction in a group naming the member who sent the message.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import type { MessageContext } from '../../src/whatsapp/transport.js';
import { FAKE_ACCOUNT_PHONE } from '../support/fake-groups.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const SITI = '6281234567891';
const BUDI = '6281234567890';

type Fields = Record<string, string | string[] | undefined>;
interface Kind {
  name: string;
  /** The kind's own fields (a reaction's target: a message in the chat of `fields`). */
  body(fields: Fields): Record<string, unknown>;
  form?: boolean;
  /** Whether `reply_to` and `mentions` go out with it (a reaction refuses them). */
  options: boolean;
}

let t: TestApp;
let group: string;
let notMine: string;
let received: string;
/** Our text to Budi, and to the group: what a reaction in each chat targets. */
let toBudi: string;
let toGroup: string;
const targetIn = (f: Fields) => (f.group ? toGroup : toBudi);

const KINDS: Kind[] = [
  { name: 'send-location', body: () => ({ latitude: -6.1754, longitude: 106.8272, name: 'Monas' }), options: true },
  { name: 'send-location', body: () => ({ latitude: '-6.1754', longitude: '106.8272' }), form: true, options: true },
  { name: 'send-contact', body: () => ({ contacts: [{ name: 'Siti', phone: SITI }] }), options: true },
  { name: 'send-poll', body: () => ({ question: 'Makan di mana?', options: ['Padang', 'Sunda'] }), options: true },
  { name: 'send-reaction', body: (f) => ({ message_id: targetIn(f), emoji: '👍' }), options: false },
];

const defined = (fields: Fields) => Object.entries(fields).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined);

function send(kind: Kind, fields: Fields): request.Test {
  const req = request(t.app).post(`/api/${kind.name}`);
  if (!kind.form) return req.send({ ...kind.body(fields), ...Object.fromEntries(defined(fields)) });
  const flat = defined(fields).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]);
  return req.type('form').send({ ...kind.body(fields), ...Object.fromEntries(flat) });
}

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
  for (let i = 0; i < 100 && !(await t.services.incoming.get(received)); i++) await new Promise((r) => setTimeout(r, 10));
  toBudi = (await request(t.app).post('/api/send-message').send({ phone: BUDI, message: 'halo' }).expect(200)).body.data.message_id;
  toGroup = (await request(t.app).post('/api/send-message').send({ group, message: 'halo semua' }).expect(200)).body.data.message_id;
});
afterAll(() => t?.cleanup());

function lastContext(): MessageContext | undefined {
  return (t.transport.sent.at(-1)!.content as { context?: MessageContext } | undefined)?.context;
}

describe.each(KINDS.map((kind) => ({ ...kind, label: `${kind.name}${kind.form ? ' (form)' : ''}` })))('$label', (kind) => {
  const refused = (option: string) =>
    [400, 'OPTION_NOT_SUPPORTED', `Option not supported: "${option}" (WhatsApp shows no quote or mention on a reaction)`] as const;
  const errors: Array<[string, number, string, string, () => Fields]> = [
    ['phone and group', 400, 'RECIPIENT_CONFLICT', 'Send to either "phone" or "group", not both', () => ({ phone: BUDI, group })],
    ['neither phone nor group', 400, 'PHONE_REQUIRED', 'Phone number required', () => ({})],
    ['a group id that is none', 400, 'INVALID_GROUP_ID', 'Invalid group id: expected 120363012345678901@g.us or its digits', () => ({ group: 'arisan' })],
    ['a group the account is not in', 404, 'GROUP_NOT_FOUND', 'Group not found', () => ({ group: notMine })],
    kind.options
      ? [
          'a reply_to that is no message id',
          400,
          'INVALID_REPLY_TO',
          'Invalid reply_to: expected a WhatsApp message id',
          () => ({ phone: BUDI, reply_to: 'not an id!' }),
        ]
      : ['a reply_to on a reaction', ...refused('reply_to'), () => ({ phone: BUDI, reply_to: received })],
    kind.options
      ? ['an unknown reply_to', 404, 'MESSAGE_NOT_FOUND', 'Message not found', () => ({ phone: BUDI, reply_to: '3EB0FFFFFFFFFFFFFFFF' })]
      : ['mentions on a reaction', ...refused('mentions'), () => ({ phone: BUDI, mentions: [SITI] })],
    [
      'a reply_to from another chat',
      ...(kind.options ? ([404, 'MESSAGE_NOT_FOUND', 'Message not found'] as const) : refused('reply_to')),
      () => ({ phone: SITI, reply_to: received }),
    ],
    [
      'a mention that is no number',
      ...(kind.options ? ([400, 'INVALID_MENTIONS', 'Invalid mentions: "budi" is not a phone number'] as const) : refused('mentions')),
      () => ({ phone: BUDI, mentions: ['budi'] }),
    ],
  ];
  test.each(errors)('%s → %i %s', async (_what, status, code, message, fields) => {
    const before = t.transport.sent.length;
    const res = await send(kind, fields()).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent.length).toBe(before);
  });

  test('neither phone nor group, and no fields of the kind: Phone number required first', async () => {
    const res = await request(t.app).post(`/api/${kind.name}`).send({}).expect(400);
    expect(res.body).toMatchObject({ code: 'PHONE_REQUIRED', message: 'Phone number required' });
  });

  test('to a group: sent to its JID, data.group echoes it (no phone), the record shows the group', async () => {
    const res = await send(kind, { group: group.replace('@g.us', '') }).expect(200);
    expect(res.body.data.group).toBe(group);
    expect('phone' in res.body.data).toBe(false);
    expect(t.transport.sent.at(-1)!.jid).toBe(group);
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ jid: group, group, phone: group, type: kind.name.replace('send-', '') });
  });

  test('to a LID: sent to the LID JID, data.phone echoes it', async () => {
    const fields = { phone: '123456789012345@lid' };
    // A reaction by LID targets the message Budi sent (he is that LID).
    const res = await (
      kind.options
        ? send(kind, fields)
        : request(t.app)
            .post('/api/send-reaction')
            .send({ ...fields, message_id: received, emoji: '👍' })
    ).expect(200);
    expect(res.body.data.phone).toBe('123456789012345@lid');
    expect(t.transport.sent.at(-1)!.jid).toBe('123456789012345@lid');
  });

  if (kind.options) {
    test('a reply to our own message and to a received one, with mentions', async () => {
      await send(kind, { phone: BUDI, reply_to: toBudi, mentions: [BUDI, '+62 812-3456-7891'] }).expect(200);
      expect(lastContext()).toMatchObject({ quotedId: toBudi, quoted: { fromMe: true }, mentions: [`${BUDI}@s.whatsapp.net`, `${SITI}@s.whatsapp.net`] });
      await send(kind, { phone: BUDI, reply_to: received }).expect(200);
      expect(lastContext()).toMatchObject({ quotedId: received, quoted: { fromMe: false, incomingRaw: expect.stringContaining(received) } });
    });
  }
});

describe('send-reaction in a group', () => {
  test("to a member's received message: the target names the group and the member; to ours: fromMe", async () => {
    const id = 'RECEIVEDGROUP00001';
    t.transport.events.emit('incoming-message', {
      messageId: id,
      from: `${SITI}:2@s.whatsapp.net`,
      chat: group,
      participant: `${SITI}:2@s.whatsapp.net`,
      fromPhoneJid: `${SITI}@s.whatsapp.net`,
      timestamp: 1_700_000_000,
      type: 'conversation',
      kind: 'text',
      text: 'arisan besok',
      raw: '{}',
    });
    for (let i = 0; i < 100 && !(await t.services.incoming.get(id)); i++) await new Promise((r) => setTimeout(r, 10));
    const res = await request(t.app).post('/api/send-reaction').send({ group, message_id: id, emoji: '🙏' }).expect(200);
    expect(res.body.data).toMatchObject({ group, target_message_id: id, emoji: '🙏', type: 'reaction' });
    expect(t.transport.sent.at(-1)).toMatchObject({
      jid: group,
      content: { kind: 'reaction', target: { id, remoteJid: group, fromMe: false, participant: `${SITI}@s.whatsapp.net` } },
    });
    await request(t.app).post('/api/send-reaction').send({ group, message_id: toGroup, emoji: '👍' }).expect(200);
    expect(t.transport.sent.at(-1)!.content).toEqual({ kind: 'reaction', emoji: '👍', target: { id: toGroup, remoteJid: group, fromMe: true } });
    // The group's message is not one of Budi's chat, nor Budi's of the group's.
    await request(t.app).post('/api/send-reaction').send({ phone: BUDI, message_id: id, emoji: '👍' }).expect(404);
    await request(t.app).post('/api/send-reaction').send({ group, message_id: received, emoji: '👍' }).expect(404);
  });

  test('the same Idempotency-Key to a group answers again; the same body to a person is another request', async () => {
    const body = { group, latitude: 1, longitude: 2 };
    const first = await request(t.app).post('/api/send-location').set('Idempotency-Key', 'kaddr-1').send(body).expect(200);
    const again = await request(t.app).post('/api/send-location').set('Idempotency-Key', 'kaddr-1').send(body).expect(200);
    expect(again.body).toEqual(first.body);
    await request(t.app).post('/api/send-location').set('Idempotency-Key', 'kaddr-1').send({ phone: BUDI, latitude: 1, longitude: 2 }).expect(409);
    await request(t.app)
      .post('/api/send-location')
      .set('Idempotency-Key', 'kaddr-1')
      .send({ ...body, reply_to: toGroup })
      .expect(409);
  });
});
