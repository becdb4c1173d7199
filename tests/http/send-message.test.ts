import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
let t: TestApp;
afterEach(() => t?.cleanup());

describe('POST /api/send-message', () => {
  test('sends a text and answers in the v2.0.0 shape with the message id', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'Hello from WhatsApp Gateway API!' }).expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Text message sent successfully',
      data: {
        phone: '6281234567890',
        message: 'Hello from WhatsApp Gateway API!',
        type: 'text',
        timestamp: expect.stringMatching(LOCAL_TIME),
        message_id: expect.stringMatching(/^3EB0/),
        id: expect.any(String),
        delivery_status: 'sent',
      },
    });
    expect(t.transport.sent).toEqual([{ jid: '6281234567890@s.whatsapp.net', text: 'Hello from WhatsApp Gateway API!', messageId: res.body.data.message_id }]);
  });

  test('accepts form-urlencoded bodies', async () => {
    t = await buildTestApp();
    await request(t.app).post('/api/send-message').type('form').send('phone=%2B62%20812-3456-7890&message=hi').expect(200);
    expect(t.transport.sent[0]?.jid).toBe('6281234567890@s.whatsapp.net');
  });

  test.each([
    ['6281234567890', '6281234567890'],
    ['+6281234567890', '6281234567890'],
    ['081234567890', '6281234567890'],
    ['0812-3456-7890', '6281234567890'],
    ['(0812) 3456.7890', '6281234567890'],
  ])('normalises %s to %s', async (input, digits) => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').send({ phone: input, message: 'x' }).expect(200);
    expect(res.body.data.phone).toBe(digits);
  });

  test('uses the configured default country code for local numbers', async () => {
    t = await buildTestApp({ DEFAULT_COUNTRY_CODE: '44' });
    const res = await request(t.app).post('/api/send-message').send({ phone: '07911 123456', message: 'x' }).expect(200);
    expect(res.body.data.phone).toBe('447911123456');
  });

  test.each([
    [{ message: 'x' }, 'Phone number required'],
    [{ phone: '', message: 'x' }, 'Phone number required'],
    [{ phone: '12', message: 'x' }, 'Invalid phone number'],
    [{ phone: 'not-a-number', message: 'x' }, 'Invalid phone number'],
    [{ phone: '+999123456789', message: 'x' }, 'Invalid phone number'],
    [{ phone: '6281234567890' }, 'Message required'],
    [{ phone: '6281234567890', message: '' }, 'Message required'],
    [{ phone: '6281234567890', message: '   ' }, 'Message required'],
    [{ phone: '6281234567890', message: { a: 1 } }, 'Message must be a string'],
  ])('%j → 400 %s', async (body, message) => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').send(body).expect(400);
    expect(res.body).toMatchObject({ status: 'error', message });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('malformed JSON is a 400 in the error format', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').set('Content-Type', 'application/json').send('{"phone": "62812",').expect(400);
    expect(res.body).toEqual({ status: 'error', message: 'Malformed JSON in request body', timestamp: expect.any(String), code: 'MALFORMED_JSON' });
  });

  test('an unsupported content type is a 400 in the error format', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').set('Content-Type', 'text/plain').send('hello').expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNSUPPORTED_CONTENT_TYPE' });
  });

  test('accepts multipart fields, as PHP curl sends an array body', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').field('phone', '081234567890').field('message', 'from PHP').expect(200);
    expect(res.body.data).toMatchObject({ phone: '6281234567890', message: 'from PHP' });
    expect(t.transport.sent[0]?.text).toBe('from PHP');
  });

  test('a malformed percent-escape in the path is a 400, not a 500', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/api/messages/%E0%A4%A').expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'BAD_REQUEST' });
  });

  test('a body over 1 MB is a 413 in the error format', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .send({ phone: '6281234567890', message: 'x'.repeat(1_100_000) })
      .expect(413);
    expect(res.body).toMatchObject({ status: 'error', code: 'BODY_TOO_LARGE', message: 'Request body too large (maximum 1MB)' });
  });

  test('a message over 65536 characters is refused', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .send({ phone: '6281234567890', message: 'x'.repeat(65_537) })
      .expect(400);
    expect(res.body.code).toBe('MESSAGE_TOO_LONG');
  });

  test('503 Bot not connected, before any work', async () => {
    t = await buildTestApp();
    t.transport.phase = 'waiting_to_retry';
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(503);
    expect(res.body).toMatchObject({ status: 'error', message: 'Bot not connected', code: 'BOT_NOT_CONNECTED' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a transport failure is 500 Failed to send message: <reason>', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new Error('connection timeout');
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(500);
    expect(res.body).toEqual({ status: 'error', message: 'Failed to send message: connection timeout', timestamp: expect.any(String), code: 'SEND_FAILED' });
  });

  test('a phone sent as a JSON number is accepted', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').send({ phone: 6281234567890, message: 'x' }).expect(200);
    expect(res.body.data.phone).toBe('6281234567890');
  });
});

describe('a connection lost mid-send', () => {
  test('is reported in words, not as a bare close code', async () => {
    t = await buildTestApp();
    t.transport.holdSends = true;
    const pending = request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' });
    const result = pending.then((r) => r);
    await until(() => t.transport.heldSends === 1);
    t.transport.phase = 'waiting_to_retry';
    t.transport.nextFailure = new Error('1006');
    t.transport.releaseHeld();
    const res = await result;
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('Failed to send message: connection to WhatsApp lost during the send (1006)');
  });
});
