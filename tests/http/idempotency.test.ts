import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

describe('Idempotency-Key', () => {
  test('a repeated request returns the first response and sends nothing', async () => {
    t = await buildTestApp();
    const body = { phone: '6281234567890', message: 'pay invoice 42' };
    const first = await request(t.app).post('/api/send-message').set('Idempotency-Key', 'order-42').send(body).expect(200);
    const again = await request(t.app).post('/api/send-message').set('Idempotency-Key', 'order-42').send(body).expect(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(t.transport.sent).toHaveLength(1);
  });

  test('the same key with a different body is a 409', async () => {
    t = await buildTestApp();
    await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k1').send({ phone: '6281234567890', message: 'a' }).expect(200);
    const res = await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k1').send({ phone: '6281234567890', message: 'b' }).expect(409);
    expect(res.body).toMatchObject({ status: 'error', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(t.transport.sent).toHaveLength(1);
  });

  test('uploads: the same file again is a replay, another file is a conflict, no upload stays', async () => {
    t = await buildTestApp();
    const send = (bytes: Buffer) =>
      request(t.app).post('/api/send-image').set('Idempotency-Key', 'img-1').field('phone', '6281234567890').attach('file', bytes, 'a.png');
    const first = await send(SAMPLE_FILES.png!).expect(200);
    const again = await send(SAMPLE_FILES.png!).expect(200);
    expect(again.body.data.message_id).toBe(first.body.data.message_id);
    await send(Buffer.concat([SAMPLE_FILES.png!, Buffer.from('x')])).expect(409);
    expect(t.transport.sent).toHaveLength(1);
    expect(await t.uploadsLeft()).toEqual([]);
  });

  test('a failed send frees the key, so the retry really sends', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new Error('socket hang up');
    const body = { phone: '6281234567890', message: 'retry me' };
    await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k2').send(body).expect(500);
    await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k2').send(body).expect(200);
    expect(t.transport.sent).toHaveLength(1);
  });

  test('keys are per API key', async () => {
    t = await buildTestApp({ API_KEY: 'client-a-key-0123456789,client-b-key-0123456789' });
    const body = { phone: '6281234567890', message: 'hi' };
    await request(t.app).post('/api/send-message').set('X-API-Key', 'client-a-key-0123456789').set('Idempotency-Key', 'same').send(body).expect(200);
    const b = await request(t.app).post('/api/send-message').set('X-API-Key', 'client-b-key-0123456789').set('Idempotency-Key', 'same').send(body).expect(200);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(t.transport.sent).toHaveLength(2);
  });

  test('an unusable key is a 400', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .set('Idempotency-Key', 'x'.repeat(300))
      .send({ phone: '6281234567890', message: 'hi' })
      .expect(400);
    expect(res.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
  });
});
