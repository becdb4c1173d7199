/**
 * The four kinds beyond text and media (location, contact, reaction, poll) through the real app
 * with the fake transport: what each answers, what content it hands to WhatsApp, every error, and
 * the outbox, idempotency and records as for a text.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const PHONE = '6281234567890';
let t: TestApp;
afterEach(() => t?.cleanup());

const post = (path: string, body: unknown) =>
  request(t.app)
    .post(path)
    .send(body as object);

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
    expect(Buffer.from(poll.messageSecret)).toEqual(Buffer.from((await t.services.polls.get(queued[3]!.id))!.messageSecret));
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
