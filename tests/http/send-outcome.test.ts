/**
 * The send endpoints when WhatsApp's server ack is missing or negative, over HTTP with the fake
 * transport: 504 with a safe-retry promise, a retry that continues the same record and WhatsApp
 * id, a refusal with WhatsApp's code, and keys a crash left in progress resolved at start-up.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SendOutcomeUnknownError, ServerRejectedError } from '../../src/whatsapp/send-outcome.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const body = { phone: '6281234567890', message: 'did it arrive?' };
const send = (key?: string) => {
  const req = request(t.app).post('/api/send-message');
  return key ? req.set('Idempotency-Key', key).send(body) : req.send(body);
};

describe('no server ack', () => {
  test('504 SEND_OUTCOME_UNKNOWN; the retry with the same key sends again under the same WhatsApp id and record', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new SendOutcomeUnknownError('x', 'ack-timeout', 15_000);
    const first = await send('k-unknown').expect(504);
    expect(first.body).toMatchObject({ status: 'error', code: 'SEND_OUTCOME_UNKNOWN' });
    expect(first.body.message).toMatch(/no acknowledgement from WhatsApp's server within 15 s.*same Idempotency-Key/);
    expect(first.headers['retry-after']).toBe('5');
    const record = await request(t.app).get(`/api/messages/${first.body.id}`).expect(200);
    expect(record.body.data).toMatchObject({ status: 'queued', message_id: first.body.message_id });

    const retry = await send('k-unknown').expect(200);
    expect(retry.body.data).toMatchObject({ id: first.body.id, message_id: first.body.message_id, delivery_status: 'sent' });
    expect(t.transport.sent.map((s) => s.messageId)).toEqual([first.body.message_id]);
    expect((await request(t.app).get('/api/messages').expect(200)).body.data).toHaveLength(1);
  });

  test('a late ack makes the record sent, and the retry then answers without sending', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new SendOutcomeUnknownError('x', 'connection-closed');
    const first = await send('k-late').expect(504);
    t.transport.events.emit('message-status', { messageId: first.body.message_id, jid: '6281234567890@s.whatsapp.net', status: 'sent' });
    await until(async () => (await request(t.app).get(`/api/messages/${first.body.message_id}`)).body.data?.status === 'sent');
    const retry = await send('k-late').expect(200);
    expect(retry.body.data).toMatchObject({ message_id: first.body.message_id, delivery_status: 'sent' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('without a key the 504 still names the record, which keeps its id for a late ack', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new SendOutcomeUnknownError('x', 'ack-timeout', 1000);
    const first = await send().expect(504);
    expect(first.body.id).toBeTruthy();
    expect(first.body.message_id).toBeTruthy();
  });
});

describe('an error ack', () => {
  test('500 with WhatsApp code; the record is failed with the reason; a retry with the key is a fresh attempt', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new ServerRejectedError('x', 463);
    const res = await send('k-463').expect(500);
    expect(res.body).toMatchObject({ code: 'SEND_FAILED', wa_error_code: 463 });
    expect(res.body.message).toMatch(/WhatsApp error 463: account restricted/);
    const [record] = (await request(t.app).get('/api/messages').expect(200)).body.data;
    expect(record).toMatchObject({ status: 'failed' });
    expect(record.error).toMatch(/^WhatsApp error 463/);
  });
});

describe('keys a crash left in progress', () => {
  test('bound to a record: resumable; never reached a record: released', async () => {
    t = await buildTestApp();
    const repo = t.services.idempotency;
    await repo.begin({ scope: 's', key: 'bound', fingerprint: 'f' });
    await repo.bindMessage('s', 'bound', 'record-1');
    await repo.begin({ scope: 's', key: 'unbound', fingerprint: 'f' });
    expect(await repo.begin({ scope: 's', key: 'bound', fingerprint: 'f' })).toBe('in-progress');

    expect(await repo.recoverInterrupted()).toEqual({ resumable: 1, released: 1 });
    expect(await repo.begin({ scope: 's', key: 'bound', fingerprint: 'f' })).toEqual({ resume: 'record-1' });
    // Claimed again by that retry: a concurrent one must wait.
    expect(await repo.begin({ scope: 's', key: 'bound', fingerprint: 'f' })).toBe('in-progress');
    expect(await repo.begin({ scope: 's', key: 'unbound', fingerprint: 'f' })).toBe('new');
  });
});

describe('account restricted (463), without the outbox', () => {
  test('sends to new contacts are refused with 503 until it ends; established chats go on; /api/status shows it', async () => {
    t = await buildTestApp();
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'established' }).expect(200);
    const until = new Date(Date.now() + 60_000).toISOString();
    t.transport.events.emit('account-restricted', { code: 463, reason: 'account restricted', messageId: 'W463', until, at: new Date().toISOString() });

    const refused = await request(t.app).post('/api/send-message').send({ phone: '6281300000009', message: 'new contact' }).expect(503);
    expect(refused.body).toMatchObject({ status: 'error', code: 'ACCOUNT_RESTRICTED', restricted_until: until, wa_error_code: 463 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'still fine' }).expect(200);
    expect(t.transport.sent.map((s) => s.text)).toEqual(['established', 'still fine']);

    const status = await request(t.app).get('/api/status').expect(200);
    expect(status.body.restriction).toMatchObject({ code: 463, until, until_from_whatsapp: true, new_contacts_paused: true });
  });
});
