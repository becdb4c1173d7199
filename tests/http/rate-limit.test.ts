import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

describe('rate limiting', () => {
  test('answers 429 with limit and window after the configured number of requests', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '120' });
    for (let i = 0; i < 3; i++) await request(t.app).get('/api/status').expect(200);
    const res = await request(t.app).get('/api/status').expect(429);
    expect(res.body).toEqual({
      status: 'error',
      message: 'Too many requests. Please try again later.',
      timestamp: expect.any(String),
      code: 'RATE_LIMITED',
      limit: 3,
      window: 120,
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('tells the client its budget in the draft-7 RateLimit headers', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '120' });
    const first = await request(t.app).get('/api/status').expect(200);
    expect(first.headers['ratelimit-policy']).toBe('3;w=120');
    expect(first.headers['ratelimit']).toMatch(/^limit=3, remaining=2, reset=(119|120)$/);
    await request(t.app).get('/api/status').expect(200);
    await request(t.app).get('/api/status').expect(200);
    const refused = await request(t.app).get('/api/status').expect(429);
    expect(refused.headers['ratelimit']).toMatch(/^limit=3, remaining=0, reset=\d+$/);
  });

  test('counts every limited endpoint against one budget per client', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' });
    await request(t.app).get('/api/status').expect(200);
    await request(t.app).get('/api/qr').expect(200);
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(429);
  });

  test('does not limit / and /api/health', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '1' });
    await request(t.app).get('/api/status').expect(200);
    await request(t.app).get('/api/status').expect(429);
    for (let i = 0; i < 5; i++) {
      await request(t.app).get('/api/health').expect(200);
      await request(t.app).get('/').expect(200);
    }
  });

  test('can be switched off', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_MAX: '1' });
    for (let i = 0; i < 5; i++) await request(t.app).get('/api/status').expect(200);
  });

  test('ignores X-Forwarded-For unless a proxy is trusted', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '1' });
    await request(t.app).get('/api/status').set('X-Forwarded-For', '203.0.113.1').expect(200);
    // A spoofed header does not buy a fresh budget.
    await request(t.app).get('/api/status').set('X-Forwarded-For', '203.0.113.2').expect(429);
  });

  test('with TRUST_PROXY, limits per real client IP from X-Forwarded-For', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '1', TRUST_PROXY: 'loopback' });
    await request(t.app).get('/api/status').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await request(t.app).get('/api/status').set('X-Forwarded-For', '203.0.113.1').expect(429);
    await request(t.app).get('/api/status').set('X-Forwarded-For', '203.0.113.2').expect(200);
  });
});
