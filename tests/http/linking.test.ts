/** GET /api/qr (formats, Retry-After, reasons) and POST /api/pairing-code, through the real app. */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { Errors } from '../../src/errors/app-error.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const QR = 'https://wa.me/settings/linked_devices#2@abc,def,ghi,jkl,1';
let t: TestApp;
afterEach(() => t?.cleanup());

async function awaitingQr(env: Record<string, string> = {}): Promise<TestApp> {
  t = await buildTestApp(env);
  t.transport.phase = 'awaiting_qr';
  t.transport.qr = QR;
  return t;
}

describe('GET /api/qr', () => {
  test('returns the pending QR as v2.0.0 JSON, by default and with format=json', async () => {
    await awaitingQr();
    for (const path of ['/api/qr', '/api/qr?format=json']) {
      const res = await request(t.app).get(path).expect(200);
      expect(res.body).toEqual({ status: 'success', qr: QR, message: 'QR code available for scanning' });
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  test('renders the QR as PNG', async () => {
    await awaitingQr();
    const res = await request(t.app).get('/api/qr?format=png').buffer(true).expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect((res.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('renders the QR as SVG', async () => {
    await awaitingQr();
    const res = await request(t.app)
      .get('/api/qr?format=svg')
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString()));
        r.on('end', () => cb(null, text));
      })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body as string).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"/);
    expect(res.body as string).toContain('<path');
  });

  test.each(['jpg', 'PNG', '', 'svg;png'])('format=%s is 400 INVALID_PARAMETER, whatever the connection does', async (format) => {
    t = await buildTestApp();
    t.transport.phase = 'connecting';
    const res = await request(t.app)
      .get(`/api/qr?format=${encodeURIComponent(format)}`)
      .expect(400);
    expect(res.body).toEqual({
      status: 'error',
      message: 'Invalid format: expected json, png, svg',
      timestamp: expect.stringMatching(ISO),
      code: 'INVALID_PARAMETER',
    });
  });

  test('a repeated format parameter is 400', async () => {
    await awaitingQr();
    const res = await request(t.app).get('/api/qr?format=png&format=svg').expect(400);
    expect(res.body.code).toBe('INVALID_PARAMETER');
  });

  test('says no QR is needed when connected', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/api/qr').expect(200);
    expect(res.body).toEqual({ status: 'success', message: 'Bot already connected, no QR needed' });
  });

  test('is 503 with reason "connecting" and Retry-After 1 while a connection is being opened', async () => {
    t = await buildTestApp();
    t.transport.phase = 'connecting';
    const res = await request(t.app).get('/api/qr').expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual({
      status: 'error',
      message: 'QR code not available yet',
      timestamp: expect.stringMatching(ISO),
      code: 'QR_NOT_AVAILABLE',
      reason: 'connecting',
    });
  });

  test('while waiting to retry, Retry-After is the time until the next attempt', async () => {
    t = await buildTestApp();
    t.transport.phase = 'waiting_to_retry';
    const nextRetryAt = new Date(Date.now() + 42_000).toISOString();
    t.transport.nextRetryAt = nextRetryAt;
    const res = await request(t.app).get('/api/qr').expect(503);
    const seconds = Number(res.headers['retry-after']);
    // 42 s from when the test set it, rounded up; never more, and only less by the time the request took.
    expect(seconds).toBeLessThanOrEqual(42);
    expect(seconds).toBeGreaterThanOrEqual(30);
    expect(res.body).toMatchObject({ code: 'QR_NOT_AVAILABLE', reason: 'waiting_to_retry', next_retry_at: nextRetryAt });
  });

  test('a retry that is due says 1 s, never 0 or negative', async () => {
    t = await buildTestApp();
    t.transport.phase = 'waiting_to_retry';
    t.transport.nextRetryAt = new Date(Date.now() - 5000).toISOString();
    const res = await request(t.app).get('/api/qr').expect(503);
    expect(res.headers['retry-after']).toBe('1');
  });

  test('while a pairing code is pending, says so (reason pairing_code_pending)', async () => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_pairing_code';
    t.transport.qr = QR;
    const res = await request(t.app).get('/api/qr?format=png').expect(503);
    expect(res.body).toMatchObject({ code: 'QR_NOT_AVAILABLE', reason: 'pairing_code_pending' });
    expect(res.body.message).toContain('pairing code is in progress');
    expect(res.headers['retry-after']).toBe('5');
  });

  test('says why no QR will come when the connection has stopped, without Retry-After', async () => {
    t = await buildTestApp();
    t.transport.phase = 'replaced';
    const res = await request(t.app).get('/api/qr').expect(503);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toMatchObject({ status: 'error', code: 'CONNECTION_STOPPED' });
    expect(res.body.message).toContain('opened by another client');
  });

  test('needs the API key when one is set', async () => {
    await awaitingQr({ API_KEY: 'a-test-key-of-24-chars!!' });
    await request(t.app).get('/api/qr?format=svg').expect(401);
    await request(t.app).get('/api/qr?format=svg').set('X-API-Key', 'a-test-key-of-24-chars!!').expect(200);
  });
});

describe('POST /api/pairing-code', () => {
  test('returns the code WhatsApp accepted, for the normalised phone', async () => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_qr';
    const res = await request(t.app).post('/api/pairing-code').send({ phone: '0812-3456-7890' }).expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Enter this code on the phone: Linked devices → Link with phone number instead',
      data: { pairing_code: 'FAKE2345', phone: '6281234567890' },
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(t.transport.pairingCodeRequests).toEqual(['6281234567890']);
    // QRs pause while the code is pending.
    const qr = await request(t.app).get('/api/qr').expect(503);
    expect(qr.body.reason).toBe('pairing_code_pending');
  });

  test('accepts a form body too', async () => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_qr';
    const res = await request(t.app).post('/api/pairing-code').type('form').send('phone=%2B6281234567890').expect(200);
    expect(res.body.data.phone).toBe('6281234567890');
  });

  test('409 when already connected', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/pairing-code').send({ phone: '6281234567890' }).expect(409);
    expect(res.body).toEqual({ status: 'error', message: 'Bot already connected', timestamp: expect.stringMatching(ISO), code: 'ALREADY_CONNECTED' });
    expect(t.transport.pairingCodeRequests).toEqual([]);
  });

  test.each([
    [{}, 'PHONE_REQUIRED', 'Phone number required'],
    [{ phone: '' }, 'PHONE_REQUIRED', 'Phone number required'],
    [{ phone: '12' }, 'INVALID_PHONE', 'Invalid phone number'],
    [{ phone: 'not a number' }, 'INVALID_PHONE', 'Invalid phone number'],
  ])('bad phone %j is the v2.0.0 400', async (body, code, message) => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_qr';
    const res = await request(t.app).post('/api/pairing-code').send(body).expect(400);
    expect(res.body).toEqual({ status: 'error', message, timestamp: expect.stringMatching(ISO), code });
    expect(t.transport.pairingCodeRequests).toEqual([]);
  });

  test('malformed JSON is 400', async () => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_qr';
    const res = await request(t.app).post('/api/pairing-code').set('Content-Type', 'application/json').send('{"phone":').expect(400);
    expect(res.body.code).toBe('MALFORMED_JSON');
  });

  test("WhatsApp's refusal comes back as 502 with its reason", async () => {
    t = await buildTestApp();
    t.transport.phase = 'awaiting_qr';
    t.transport.pairingCodeAnswer = Errors.pairingCodeRefused(429, 'rate-overlimit');
    const res = await request(t.app).post('/api/pairing-code').send({ phone: '6281234567890' }).expect(502);
    expect(res.body).toEqual({
      status: 'error',
      message: 'WhatsApp refused the pairing code request: rate-overlimit (429)',
      timestamp: expect.stringMatching(ISO),
      code: 'PAIRING_CODE_REFUSED',
      whatsapp_error: { code: 429, text: 'rate-overlimit' },
    });
  });

  test('503 CONNECTION_STOPPED when the connection has stopped', async () => {
    t = await buildTestApp();
    t.transport.phase = 'replaced';
    const res = await request(t.app).post('/api/pairing-code').send({ phone: '6281234567890' }).expect(503);
    expect(res.body.code).toBe('CONNECTION_STOPPED');
  });

  test('needs the API key when one is set', async () => {
    t = await buildTestApp({ API_KEY: 'a-test-key-of-24-chars!!' });
    t.transport.phase = 'awaiting_qr';
    await request(t.app).post('/api/pairing-code').send({ phone: '6281234567890' }).expect(401);
    expect(t.transport.pairingCodeRequests).toEqual([]);
  });
});
