import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import type { Request, Response } from 'express';
import { createRateLimiter } from '../../src/http/rate-limit.js';
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

  test('keys IPv4 clients by address and IPv6 clients by their /56 (an IPv4-mapped one as its IPv4)', () => {
    const limiter = createRateLimiter({ enabled: true, max: 2, windowSeconds: 60 });
    const hit = (ip: string) => {
      const headers: Record<string, string> = {};
      let refused = false;
      limiter(
        { ip } as Request,
        { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response,
        (error?: unknown) => (refused = error !== undefined),
      );
      return { remaining: /remaining=(\d+)/.exec(headers.RateLimit ?? '')?.[1], refused };
    };
    expect(hit('203.0.113.7').remaining).toBe('1');
    expect(hit('203.0.113.8').remaining).toBe('1');
    expect(hit('::ffff:203.0.113.7').remaining).toBe('0');
    expect(hit('203.0.113.7').refused).toBe(true);
    expect(hit('2001:db8:0:1::1').remaining).toBe('1');
    expect(hit('2001:db8:0:ff::2').remaining).toBe('0');
    expect(hit('2001:db8:0:100::3').remaining).toBe('1');
  });
});
