/**
 * The four kinds beyond text and media (location, contact, reaction, poll) through the real app
 * with the fake transport: what each answers, what content it hands to WhatsApp, every error, and
 * the outbox, idempotency and records as for a text.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { startReceiver, waitFor } from '../webhooks/receiver.js';

const PHONE = '6281234567890';
const JID = `${PHONE}@s.whatsapp.net`;
let t: TestApp;
afterEach(() => t?.cleanup());

const post = (path: string, body: unknown) =>
  request(t.app)
    .post(path)
    .send(body as object);

/** A message Budi sent to the gateway (kept by the wiring, so a reaction can name it). */
function receive(id: string, from = JID, fromLid?: string): void {
  t.transport.events.emit('incoming-message', {
    messageId: id,
    from: fromLid ?? from,
    fromPhoneJid: from,
    fromLid,
    timestamp: 1_700_000_000,
    type: 'conversation',
    text: 'halo',
    raw: '{}',
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('POST /api/send-location', () => {
  test('sends the pin and answers with what was sent', async () => {
    t = await buildTestApp();
    const res = await post('/api/send-location', {
      phone: '081234567890',
      latitude: -6.1754,
      longitude: 106.8272,
      name: 'Monas',
      address: 'Gambir, Jakarta',
    }).expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Location sent successfully',
      data: { phone: PHONE, type: 'location', latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta', delivery_status: 'sent' },
    });
    expect(t.transport.sent).toEqual([
      {
        jid: JID,
        messageId: res.body.data.message_id,
        content: { kind: 'location', latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta' },
      },
    ]);
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ type: 'location', summary: 'Monas, Gambir, Jakarta', status: 'sent' });
  });

  test('coordinates as text in a form, without name and address', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-location').type('form').send(`phone=${PHONE}&latitude=-90&longitude=180`).expect(200);
    expect(res.body.data).toMatchObject({ latitude: -90, longitude: 180, name: null, address: null });
    expect(t.transport.sent[0]?.content).toEqual({ kind: 'location', latitude: -90, longitude: 180 });
  });

  test.each([
    [{ latitude: 1, longitude: 2 }, 400, 'PHONE_REQUIRED', 'Phone number required'],
    [{ phone: PHONE }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: 1 }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: '', longitude: 2 }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: 90.01, longitude: 2 }, 400, 'INVALID_LOCATION', 'Invalid location: latitude must be a number from -90 to 90'],
    [{ phone: PHONE, latitude: 'north', longitude: 2 }, 400, 'INVALID_LOCATION', 'Invalid location: latitude must be a number from -90 to 90'],
    [{ phone: PHONE, latitude: 1, longitude: -180.5 }, 400, 'INVALID_LOCATION', 'Invalid location: longitude must be a number from -180 to 180'],
    [{ phone: PHONE, latitude: 1, longitude: [2] }, 400, 'INVALID_LOCATION', 'Invalid location: longitude must be a number from -180 to 180'],
    [{ phone: PHONE, latitude: 1, longitude: 2, name: 5 }, 400, 'INVALID_LOCATION', 'Invalid location: name must be text'],
    [
      { phone: PHONE, latitude: 1, longitude: 2, address: 'x'.repeat(1001) },
      400,
      'INVALID_LOCATION',
      'Invalid location: address too long (maximum 1000 characters)',
    ],
  ])('%j → %i %s', async (body, status, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-location', body).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });
});

describe('POST /api/send-contact', () => {
  test('one contact: a vCard 3.0 with waid, special characters escaped', async () => {
    t = await buildTestApp();
    const contact = { name: 'Siti; Aminah, S.E.\\', phone: '0812-3456-7891', organization: 'Toko\nMakmur', email: 'siti@example.com' };
    const res = await post('/api/send-contact', { phone: PHONE, contacts: [contact] }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Contact sent successfully',
      data: {
        phone: PHONE,
        type: 'contact',
        contacts: [{ name: contact.name, phone: '6281234567891', organization: 'Toko\nMakmur', email: 'siti@example.com' }],
      },
    });
    const vcard = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:;Siti\\; Aminah\\, S.E.\\\\;;;',
      'FN:Siti\\; Aminah\\, S.E.\\\\',
      'ORG:Toko\\nMakmur',
      'TEL;type=CELL;type=VOICE;waid=6281234567891:+6281234567891',
      'EMAIL;type=INTERNET:siti@example.com',
      'END:VCARD',
    ].join('\n');
    expect(t.transport.sent[0]?.content).toEqual({ kind: 'contact', contacts: [{ displayName: contact.name, vcard }] });
  });

  test('several contacts go out in one message; the record names them', async () => {
    t = await buildTestApp();
    const contacts = [
      { name: 'Siti', phone: '6281234567891' },
      { name: 'Andi', phone: 6281234567892 },
    ];
    const res = await post('/api/send-contact', { phone: PHONE, contacts }).expect(200);
    const content = t.transport.sent[0]?.content as { contacts: Array<{ displayName: string; vcard: string }> };
    expect(content.contacts.map((c) => c.displayName)).toEqual(['Siti', 'Andi']);
    expect(content.contacts[1]?.vcard).toContain('waid=6281234567892:+6281234567892');
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ type: 'contact', summary: 'Siti, Andi' });
  });

  const card = { name: 'Siti', phone: '6281234567891' };
  test.each([
    [{ phone: PHONE }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: [] }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: 'Siti' }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: Array(11).fill(card) }, 'INVALID_CONTACT', 'Invalid contact: at most 10 contacts per message'],
    [{ phone: PHONE, contacts: [card, 'Andi'] }, 'INVALID_CONTACT', 'Invalid contact: contacts[1] must be an object {name, phone}'],
    [{ phone: PHONE, contacts: [{ phone: '6281234567891' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].name must be text'],
    [{ phone: PHONE, contacts: [{ name: '  ', phone: '6281234567891' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].name required'],
    [{ phone: PHONE, contacts: [card, { name: 'Andi' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[1].phone required'],
    [{ phone: PHONE, contacts: [{ name: 'Andi', phone: '12' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].phone: Invalid phone number'],
    [{ phone: PHONE, contacts: [{ ...card, email: 'not-an-address' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].email is not an e-mail address'],
    [
      { phone: PHONE, contacts: [{ ...card, organization: 'x'.repeat(257) }] },
      'INVALID_CONTACT',
      'Invalid contact: contacts[0].organization too long (maximum 256 characters)',
    ],
  ])('%j → 400 %s', async (body, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-contact', body).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });
});

describe('POST /api/send-reaction', () => {
  test('to a message we sent: fromMe, in the same chat', async () => {
    t = await buildTestApp();
    const sent = await post('/api/send-message', { phone: PHONE, message: 'halo' }).expect(200);
    const res = await post('/api/send-reaction', { phone: PHONE, message_id: sent.body.data.message_id, emoji: '👍🏽' }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Reaction sent successfully',
      data: { phone: PHONE, type: 'reaction', target_message_id: sent.body.data.message_id, emoji: '👍🏽' },
    });
    expect(res.body.data.message_id).not.toBe(sent.body.data.message_id);
    expect(t.transport.sent[1]?.content).toEqual({ kind: 'reaction', emoji: '👍🏽', target: { id: sent.body.data.message_id, remoteJid: JID, fromMe: true } });
  });

  test('to a message we received, and "" takes the reaction back', async () => {
    t = await buildTestApp();
    receive('3A0000000000000000A1');
    await until(
      async () =>
        t.services.targets !== undefined &&
        (await t.services.targets.find(JID, '3A0000000000000000A1').then(
          () => true,
          () => false,
        )),
    );
    await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000A1', emoji: '🇮🇩' }).expect(200);
    const removed = await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000A1', emoji: '' }).expect(200);
    expect(removed.body.data.emoji).toBe('');
    expect(t.transport.sent.map((s) => s.content)).toEqual([
      { kind: 'reaction', emoji: '🇮🇩', target: { id: '3A0000000000000000A1', remoteJid: JID, fromMe: false } },
      { kind: 'reaction', emoji: '', target: { id: '3A0000000000000000A1', remoteJid: JID, fromMe: false } },
    ]);
  });

  test('to a message that came by LID, matched by the phone WhatsApp gave with it; its media is not downloadable', async () => {
    t = await buildTestApp();
    receive('3A0000000000000000C3', JID, '123456789012345@lid');
    await until(async () =>
      t.services.targets.find(JID, '3A0000000000000000C3').then(
        () => true,
        () => false,
      ),
    );
    await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000C3', emoji: '🙏' }).expect(200);
    expect(t.transport.sent[0]?.content).toMatchObject({ target: { id: '3A0000000000000000C3', remoteJid: JID, fromMe: false } });
    // Keeping its id changes nothing for GET /api/media: a text has no media.
    await request(t.app).get('/api/media/3A0000000000000000C3').expect(404);
  });

  test.each([
    [{ phone: PHONE, emoji: '👍' }, 400, 'MESSAGE_ID_REQUIRED', 'Message id required: "message_id" of the message reacted to'],
    [{ phone: PHONE, message_id: ' ', emoji: '👍' }, 400, 'MESSAGE_ID_REQUIRED', 'Message id required: "message_id" of the message reacted to'],
    [{ phone: PHONE, message_id: 'X' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: 'ok' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: '👍👍' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: '👍 ' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: 1 }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: '3EB0UNKNOWN', emoji: '👍' }, 404, 'MESSAGE_NOT_FOUND', 'Message not found'],
  ])('%j → %i %s', async (body, status, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-reaction', body).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a message of another chat is not found', async () => {
    t = await buildTestApp();
    const sent = await post('/api/send-message', { phone: '6289876543210', message: 'halo' }).expect(200);
    receive('3A0000000000000000B2', '6289876543210@s.whatsapp.net');
    await until(async () =>
      t.services.targets.find('6289876543210@s.whatsapp.net', '3A0000000000000000B2').then(
        () => true,
        () => false,
      ),
    );
    for (const id of [sent.body.data.message_id, '3A0000000000000000B2']) {
      const res = await post('/api/send-reaction', { phone: PHONE, message_id: id, emoji: '👍' }).expect(404);
      expect(res.body.code).toBe('MESSAGE_NOT_FOUND');
    }
  });
});

describe('POST /api/send-poll', () => {
  test('single choice by default; the poll and its secret are kept under the record', async () => {
    t = await buildTestApp();
    const res = await post('/api/send-poll', { phone: PHONE, question: ' Makan di mana? ', options: ['Padang', 'Sunda'] }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Poll sent successfully',
      data: { phone: PHONE, type: 'poll', question: 'Makan di mana?', options: ['Padang', 'Sunda'], multiple_answers: false },
    });
    const content = t.transport.sent[0]?.content as { kind: string; selectableCount: number; messageSecret: Uint8Array };
    expect(content).toMatchObject({ kind: 'poll', question: 'Makan di mana?', options: ['Padang', 'Sunda'], selectableCount: 1 });
    expect(content.messageSecret).toHaveLength(32);
    expect(Buffer.from(t.services.polls.get(res.body.data.id)!.messageSecret)).toEqual(Buffer.from(content.messageSecret));
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({
      type: 'poll',
      summary: 'Makan di mana?',
      poll: {
        question: 'Makan di mana?',
        options: [
          { name: 'Padang', votes: 0 },
          { name: 'Sunda', votes: 0 },
        ],
        voters: [],
      },
    });
  });

  test('multiple answers: any number of options may be chosen (WhatsApp: selectable count 0)', async () => {
    t = await buildTestApp();
    await post('/api/send-poll', { phone: PHONE, question: 'Hari?', options: ['Sabtu', 'Minggu', 'Senin'], multiple_answers: true }).expect(200);
    expect(t.transport.sent[0]?.content).toMatchObject({ selectableCount: 0 });
  });

  const twelve = Array.from({ length: 12 }, (_, i) => `Pilihan ${i + 1}`);
  test.each([
    [{ phone: PHONE, options: ['a', 'b'] }, 'QUESTION_REQUIRED', 'Question required'],
    [{ phone: PHONE, question: '   ', options: ['a', 'b'] }, 'QUESTION_REQUIRED', 'Question required'],
    [{ phone: PHONE, question: 'q'.repeat(256), options: ['a', 'b'] }, 'INVALID_POLL', 'Invalid poll: question too long (maximum 255 characters)'],
    [{ phone: PHONE, question: 'q' }, 'INVALID_POLL', 'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters'],
    [
      { phone: PHONE, question: 'q', options: ['a'] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters',
    ],
    [
      { phone: PHONE, question: 'q', options: [...twelve, 'x'] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters',
    ],
    [
      { phone: PHONE, question: 'q', options: ['a', ' '] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters',
    ],
    [
      { phone: PHONE, question: 'q', options: ['a', 2] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters',
    ],
    [
      { phone: PHONE, question: 'q', options: ['a', 'x'.repeat(101)] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters',
    ],
    [
      { phone: PHONE, question: 'q', options: ['a', 'b', 'a '] },
      'INVALID_POLL',
      'Invalid poll: options must be 2 to 12 distinct, non-empty texts of at most 100 characters (an option is repeated)',
    ],
    [{ phone: PHONE, question: 'q', options: ['a', 'b'], multiple_answers: 'yes' }, 'INVALID_PARAMETER', 'Invalid multiple_answers: expected true or false'],
  ])('%j → 400 %s', async (body, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-poll', body).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('12 options is the most; a form sends options as repeated fields', async () => {
    t = await buildTestApp();
    await post('/api/send-poll', { phone: PHONE, question: 'q', options: twelve }).expect(200);
    await request(t.app).post('/api/send-poll').type('form').send(`phone=${PHONE}&question=q&options=a&options=b&multiple_answers=true`).expect(200);
    expect(t.transport.sent[1]?.content).toMatchObject({ options: ['a', 'b'], selectableCount: 0 });
  });

  test("votes: each voter's latest vote counts, reach webhooks as poll.vote, and show on the record", async () => {
    const receiver = await startReceiver();
    try {
      t = await buildTestApp({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 's'.repeat(32) });
      const res = await post('/api/send-poll', { phone: PHONE, question: 'Makan?', options: ['Padang', 'Sunda', 'Jawa'], multiple_answers: true }).expect(200);
      const pollId = res.body.data.message_id as string;
      const vote = (voter: string, options: string[], at: number, lid?: string) =>
        t.transport.events.emit('poll-vote', { pollId, chatJid: JID, voterJid: voter, voterPhoneJid: voter, voterLid: lid, options, at });
      vote(JID, ['Padang', 'Jawa'], 1000, '123@lid');
      vote('6281234567891@s.whatsapp.net', ['Padang'], 1100);
      vote(JID, ['Sunda'], 2000); // Budi changes his mind
      vote(JID, ['Jawa'], 1500); // an older vote arriving late changes nothing
      const polls = () => receiver.requests.map((r) => JSON.parse(r.body) as { event: string; data: unknown }).filter((e) => e.event === 'poll.vote');
      await waitFor(() => polls().length === 4);
      expect(polls()[0]?.data).toEqual({ poll_id: pollId, voter_phone: PHONE, voter_lid: '123@lid', options: ['Padang', 'Jawa'] });
      const record = await request(t.app).get(`/api/messages/${pollId}`).expect(200);
      expect(record.body.data.poll).toEqual({
        question: 'Makan?',
        options: [
          { name: 'Padang', votes: 1 },
          { name: 'Sunda', votes: 1 },
          { name: 'Jawa', votes: 0 },
        ],
        voters: [
          { phone: '6281234567891', lid: null, options: ['Padang'], voted_at: new Date(1100).toISOString() },
          { phone: PHONE, lid: '123@lid', options: ['Sunda'], voted_at: new Date(2000).toISOString() },
        ],
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('every kind with the outbox and idempotency keys', () => {
  const OUTBOX_ON = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' };

  test('queued while disconnected (202 "... queued for delivery"), sent after reconnect under the same id, the poll with its kept secret', async () => {
    t = await buildTestApp(OUTBOX_ON);
    const sent = await post('/api/send-message', { phone: PHONE, message: 'halo' }).expect(200);
    t.transport.setPhase('connecting');
    const requests: Array<[string, unknown, string]> = [
      ['/api/send-location', { phone: PHONE, latitude: 1, longitude: 2 }, 'Location queued for delivery'],
      ['/api/send-contact', { phone: PHONE, contacts: [{ name: 'Siti', phone: '6281234567891' }] }, 'Contact queued for delivery'],
      ['/api/send-reaction', { phone: PHONE, message_id: sent.body.data.message_id, emoji: '❤️' }, 'Reaction queued for delivery'],
      ['/api/send-poll', { phone: PHONE, question: 'q', options: ['a', 'b'] }, 'Poll queued for delivery'],
    ];
    const queued: Array<{ id: string; message_id: string }> = [];
    for (const [path, body, message] of requests) {
      const res = await post(path, body).expect(202);
      expect(res.body).toMatchObject({ message, data: { delivery_status: 'queued' } });
      queued.push(res.body.data as { id: string; message_id: string });
    }
    t.transport.setPhase('open');
    await until(() => t.transport.sent.length === 5);
    expect(t.transport.sent.slice(1).map((s) => [s.content?.kind, s.messageId])).toEqual([
      ['location', queued[0]!.message_id],
      ['contact', queued[1]!.message_id],
      ['reaction', queued[2]!.message_id],
      ['poll', queued[3]!.message_id],
    ]);
    const poll = t.transport.sent[4]!.content as { messageSecret: Uint8Array };
    expect(Buffer.from(poll.messageSecret)).toEqual(Buffer.from(t.services.polls.get(queued[3]!.id)!.messageSecret));
    await until(async () => (await request(t.app).get(`/api/messages/${queued[3]!.id}`)).body.data.status === 'sent');
    const list = await request(t.app).get('/api/messages?type=poll').expect(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([queued[3]!.id]);
  });

  test.each([
    ['/api/send-location', { phone: PHONE, latitude: 1, longitude: 2 }],
    ['/api/send-contact', { phone: PHONE, contacts: [{ name: 'Siti', phone: '6281234567891' }] }],
    ['/api/send-poll', { phone: PHONE, question: 'q', options: ['a', 'b'] }],
  ])('%s: the same Idempotency-Key answers again without sending twice; another body is refused', async (path, body) => {
    t = await buildTestApp();
    const first = await request(t.app).post(path).set('Idempotency-Key', 'k-1').send(body).expect(200);
    const again = await request(t.app).post(path).set('Idempotency-Key', 'k-1').send(body).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(t.transport.sent).toHaveLength(1);
    await request(t.app)
      .post(path)
      .set('Idempotency-Key', 'k-1')
      .send({ ...body, phone: '6289876543210' })
      .expect(409);
  });

  test('GET / lists the four endpoints', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    const listed = JSON.stringify(res.body);
    for (const path of ['/api/send-location', '/api/send-contact', '/api/send-reaction', '/api/send-poll']) expect(listed).toContain(path);
  });
});

describe('wrong types in any field never break a kind endpoint', () => {
  const VALID: Record<string, Record<string, unknown>> = {
    '/api/send-location': { phone: PHONE, latitude: 1, longitude: 2, name: 'n', address: 'a' },
    '/api/send-contact': { phone: PHONE, contacts: [{ name: 'Siti', phone: '6281234567891', organization: 'o', email: 'a@b.co' }] },
    '/api/send-reaction': { phone: PHONE, message_id: '3EB0X', emoji: '👍' },
    '/api/send-poll': { phone: PHONE, question: 'q', options: ['a', 'b'], multiple_answers: false },
  };
  const WRONG: unknown[] = [null, true, 0, -1e308, 'x'.repeat(70_000), [], [null], {}, { a: [1] }, '\u0000', '🧨'.repeat(3)];

  test('each field replaced by each wrong value: a 4xx in the error format, or a success', async () => {
    t = await buildTestApp();
    for (const [path, valid] of Object.entries(VALID)) {
      for (const field of Object.keys(valid)) {
        for (const value of WRONG) {
          const res = await post(path, { ...valid, [field]: value });
          expect([200, 400, 404]).toContain(res.status);
          if (res.status !== 200) expect(res.body).toMatchObject({ status: 'error', code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
          expect(res.body.code).not.toBe('INVALID_PARAMETER_UNNAMED');
        }
      }
    }
  }, 60_000);
});
