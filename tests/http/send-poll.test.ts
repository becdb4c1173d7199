/**
 * Polls and their votes (src/kinds/) through the real app
 * with the fake transport: what each answers, what it hands to WhatsApp, every error.
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
    expect(Buffer.from((await t.services.polls.get(res.body.data.id))!.messageSecret)).toEqual(Buffer.from(content.messageSecret));
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
