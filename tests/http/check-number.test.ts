import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { FakeTransport } from '../support/fake-transport.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const check = (body: unknown) =>
  request(t.app)
    .post('/api/check-number')
    .send(body as object);
const onWhatsApp = (phone: string) => ({ phone, exists: true, jid: `${phone}@s.whatsapp.net`, lid: `${FakeTransport.lidOf(phone)}@lid` });
const notOnWhatsApp = (phone: string) => ({ phone, exists: false, jid: null, lid: null });

describe('POST /api/check-number', () => {
  test('answers each number in order, normalised like a send, with jid and lid (null when not on WhatsApp), from one lookup', async () => {
    t = await buildTestApp();
    t.transport.notOnWhatsApp.add('6281298765432');
    const res = await check({ phones: ['+62 812-3456-7890', '081298765432', 447911123456] }).expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Phone numbers checked',
      data: [onWhatsApp('6281234567890'), notOnWhatsApp('6281298765432'), onWhatsApp('447911123456')],
    });
    expect(t.transport.numberLookups).toEqual([['6281234567890', '6281298765432', '447911123456']]);
  });

  test('a number given twice (in two spellings) is asked once and answered twice', async () => {
    t = await buildTestApp();
    const res = await check({ phones: ['6281234567890', '081234567890'] }).expect(200);
    expect(res.body.data).toEqual([onWhatsApp('6281234567890'), onWhatsApp('6281234567890')]);
    expect(t.transport.numberLookups).toEqual([['6281234567890']]);
  });

  test('answers are cached: a second check does not ask WhatsApp again, a new number alone is asked', async () => {
    t = await buildTestApp();
    t.transport.notOnWhatsApp.add('6281298765432');
    const first = await check({ phones: ['6281234567890', '6281298765432'] }).expect(200);
    const second = await check({ phones: ['6281298765432', '6281234567890'] }).expect(200);
    expect(second.body.data).toEqual([first.body.data[1], first.body.data[0]]);
    await check({ phones: ['6281234567890', '6281311112222'] }).expect(200);
    expect(t.transport.numberLookups).toEqual([['6281234567890', '6281298765432'], ['6281311112222']]);
  });

  test('with CHECK_NUMBER_NEGATIVE_CACHE_TTL=0 a "no" is asked again each time, a "yes" still cached', async () => {
    t = await buildTestApp({ CHECK_NUMBER_NEGATIVE_CACHE_TTL: '0' });
    t.transport.notOnWhatsApp.add('6281298765432');
    await check({ phones: ['6281234567890', '6281298765432'] }).expect(200);
    await check({ phones: ['6281234567890', '6281298765432'] }).expect(200);
    expect(t.transport.numberLookups).toEqual([['6281234567890', '6281298765432'], ['6281298765432']]);
  });

  test('with CHECK_NUMBER_CACHE_TTL=0 every check asks WhatsApp', async () => {
    t = await buildTestApp({ CHECK_NUMBER_CACHE_TTL: '0' });
    await check({ phones: ['6281234567890'] }).expect(200);
    await check({ phones: ['6281234567890'] }).expect(200);
    expect(t.transport.numberLookups).toHaveLength(2);
  });

  test('concurrent checks of the same numbers share one lookup', async () => {
    t = await buildTestApp();
    const answers = await Promise.all([check({ phones: ['6281234567890'] }), check({ phones: ['6281234567890'] }), check({ phones: ['6281234567890'] })]);
    for (const res of answers) expect(res.body.data).toEqual([onWhatsApp('6281234567890')]);
    expect(t.transport.numberLookups.flat()).toEqual(['6281234567890']);
  });

  test('50 numbers are accepted', async () => {
    t = await buildTestApp();
    const phones = Array.from({ length: 50 }, (_, i) => `62812000000${String(i).padStart(2, '0')}`);
    const res = await check({ phones }).expect(200);
    expect(res.body.data.map((d: { phone: string }) => d.phone)).toEqual(phones);
  });

  test.each([
    ['no body', 'PHONES_REQUIRED', 'Phone numbers required: "phones", an array of 1 to 50 numbers', undefined],
    ['no phones', 'PHONES_REQUIRED', 'Phone numbers required: "phones", an array of 1 to 50 numbers', { phone: '6281234567890' }],
    ['phones null', 'PHONES_REQUIRED', 'Phone numbers required: "phones", an array of 1 to 50 numbers', { phones: null }],
    ['an empty array', 'PHONES_REQUIRED', 'Phone numbers required: "phones", an array of 1 to 50 numbers', { phones: [] }],
    ['a string, not an array', 'INVALID_PARAMETER', 'Invalid phones: expected an array of 1 to 50 phone numbers', { phones: '6281234567890' }],
    ['an object, not an array', 'INVALID_PARAMETER', 'Invalid phones: expected an array of 1 to 50 phone numbers', { phones: { 0: '6281234567890' } }],
    ['51 numbers', 'TOO_MANY_PHONES', 'Too many phone numbers (maximum 50 per request)', { phones: Array.from({ length: 51 }, () => '6281234567890') }],
    [
      '51 numbers, some invalid (the count is checked first)',
      'TOO_MANY_PHONES',
      'Too many phone numbers (maximum 50 per request)',
      { phones: Array.from({ length: 51 }, () => 'x') },
    ],
    ['an invalid number', 'INVALID_PHONE', 'Invalid phone number: phones[1] ("12")', { phones: ['6281234567890', '12', '6281298765432'] }],
    ['letters', 'INVALID_PHONE', 'Invalid phone number: phones[0] ("not-a-number")', { phones: ['not-a-number'] }],
    ['an unknown country code', 'INVALID_PHONE', 'Invalid phone number: phones[1] ("+999123456789")', { phones: ['6281234567890', '+999123456789'] }],
    ['an empty number', 'PHONE_REQUIRED', 'Phone number required: phones[1]', { phones: ['6281234567890', ''] }],
    ['a null number', 'PHONE_REQUIRED', 'Phone number required: phones[0]', { phones: [null] }],
    ['an object as a number', 'PHONE_REQUIRED', 'Phone number required: phones[2]', { phones: ['6281234567890', '6281298765432', { n: 1 }] }],
  ])('%s: 400 %s, and WhatsApp is not asked', async (_what, code, message, body) => {
    t = await buildTestApp();
    const res = await check(body).expect(400);
    expect(res.body).toEqual({ status: 'error', code, message, timestamp: expect.any(String) });
    expect(t.transport.numberLookups).toEqual([]);
  });

  test('a long invalid value is shortened in the message', async () => {
    t = await buildTestApp();
    const res = await check({ phones: ['x'.repeat(200)] }).expect(400);
    expect(res.body.message).toBe(`Invalid phone number: phones[0] ("${'x'.repeat(36)}...)`);
  });

  test('malformed JSON, another content type, a body over 16 KB', async () => {
    t = await buildTestApp();
    const malformed = await request(t.app).post('/api/check-number').set('Content-Type', 'application/json').send('{"phones": [').expect(400);
    expect(malformed.body.code).toBe('MALFORMED_JSON');
    const text = await request(t.app).post('/api/check-number').set('Content-Type', 'text/plain').send('6281234567890').expect(400);
    expect(text.body).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE', message: 'Unsupported Content-Type: expected application/json' });
    const big = await check({ phones: ['6281234567890'], padding: 'x'.repeat(17 * 1024) }).expect(413);
    expect(big.body.code).toBe('BODY_TOO_LARGE');
  });

  test('JSON sent by curl -d without a Content-Type (labelled as a form) is read as JSON', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/check-number').type('form').send('{"phones":["6281234567890"]}').expect(200);
    expect(res.body.data).toEqual([onWhatsApp('6281234567890')]);
  });

  test.each(['connecting', 'awaiting_qr', 'waiting_to_retry', 'replaced'] as const)('while %s: 503 Bot not connected, as the sends answer', async (phase) => {
    t = await buildTestApp();
    t.transport.setPhase(phase);
    const res = await check({ phones: ['6281234567890'] }).expect(503);
    expect(res.body).toMatchObject({ status: 'error', code: 'BOT_NOT_CONNECTED', message: 'Bot not connected' });
    expect(res.headers['retry-after']).toBe('5');
    const send = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(503);
    expect({ code: send.body.code, message: send.body.message }).toEqual({ code: res.body.code, message: res.body.message });
    expect(t.transport.numberLookups).toEqual([]);
  });

  test('WhatsApp does not answer: 502 naming why, and nothing is cached', async () => {
    t = await buildTestApp();
    t.transport.nextLookupFailure = new Error('Timed Out');
    const res = await check({ phones: ['6281234567890'] }).expect(502);
    expect(res.body).toMatchObject({ code: 'NUMBER_CHECK_FAILED', message: 'Could not check the numbers with WhatsApp: Timed Out' });
    await check({ phones: ['6281234567890'] }).expect(200);
    expect(t.transport.numberLookups).toEqual([['6281234567890'], ['6281234567890']]);
  });

  test('the connection closes during the lookup: 503 Bot not connected', async () => {
    t = await buildTestApp();
    const closed = new Error('Connection Closed');
    t.transport.nextLookupFailure = closed;
    const lookup = t.transport.lookupNumbers.bind(t.transport);
    t.transport.lookupNumbers = async (phones) => {
      t.transport.phase = 'connecting';
      return lookup(phones);
    };
    const res = await check({ phones: ['6281234567890'] }).expect(503);
    expect(res.body.code).toBe('BOT_NOT_CONNECTED');
  });

  test('behind the API key, like the sends', async () => {
    t = await buildTestApp({ API_KEY: 'k'.repeat(32) });
    await check({ phones: ['6281234567890'] }).expect(401);
    await request(t.app)
      .post('/api/check-number')
      .set('X-API-Key', 'k'.repeat(32))
      .send({ phones: ['6281234567890'] })
      .expect(200);
  });

  test('rate limited, like the sends', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' });
    await check({ phones: ['6281234567890'] }).expect(200);
    await check({ phones: ['6281234567890'] }).expect(200);
    const res = await check({ phones: ['6281234567890'] }).expect(429);
    expect(res.body.code).toBe('RATE_LIMITED');
  });

  test('listed in GET /', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    expect(JSON.stringify(res.body)).toContain('/api/check-number');
  });
});
