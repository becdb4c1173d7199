/**
 * The request context (src/http/request-context.ts): the X-Request-Id echoed or made, one request
 * line per request at info with the same fields, `req.ip` as Express computes it (with and without
 * TRUST_PROXY), and `req.log` bound to the request id.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { Request, Response } from 'express';
import request from 'supertest';
import { metricsDoc } from '../../src/metrics/http-metrics.js';
import { captureLogs } from '../support/captured-logs.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function lineOf(lines: Array<Record<string, unknown>>, reqId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = lines.find((l) => l.msg === 'request' && l.reqId === reqId);
    if (found || Date.now() > deadline) return found ?? {};
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A route that logs through req.log and answers what Express says the client's IP is. */
const probe = {
  method: 'GET' as const,
  path: '/test/probe',
  description: 'test probe',
  guarded: false,
  doc: metricsDoc,
  handlers: [
    (req: Request, res: Response) => {
      req.log.info('probe');
      res.json({ ip: req.ip, id: req.id });
    },
  ],
};

describe('request context', () => {
  test('echoes a sane X-Request-Id and logs one request line with it', async () => {
    const { lines, logger } = captureLogs();
    t = await buildTestApp({}, { logger });
    const res = await request(t.app).get('/api/status?secret=x').set('X-Request-Id', 'abc-123.X:y_z').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123.X:y_z');
    const line = await lineOf(lines, 'abc-123.X:y_z');
    expect(line).toMatchObject({ level: 30, module: 'http', method: 'GET', path: '/api/status', status: 200, aborted: false });
    expect(
      Object.keys(line)
        .filter((k) => !['level', 'time', 'pid', 'hostname', 'module', 'msg'].includes(k))
        .sort(),
    ).toEqual(['aborted', 'ip', 'method', 'ms', 'path', 'reqId', 'status']);
    expect(typeof line.ms).toBe('number');
    expect(line.ip).toMatch(/127\.0\.0\.1$/);
  });

  test('never logs an API key, from a header or the query (the capturing logger does not redact)', async () => {
    const key = 'request-line-key-0123456789abcdef';
    const { lines, logger } = captureLogs();
    t = await buildTestApp({ API_KEY: key }, { logger });
    await request(t.app).get(`/api/status?api_key=${key}`).set('X-API-Key', key).set('X-Request-Id', 'key-probe-1').expect(200);
    await request(t.app).get('/api/status').set('Authorization', `Bearer ${key}`).set('X-Request-Id', 'key-probe-2').expect(200);
    await request(t.app).get('/api/status').set('X-API-Key', 'wrong-key-0123456789abcdef').set('X-Request-Id', 'key-probe-3').expect(401);
    for (const id of ['key-probe-1', 'key-probe-2', 'key-probe-3']) expect(await lineOf(lines, id)).toMatchObject({ msg: 'request' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(key);
    expect(text).not.toContain('wrong-key-0123456789abcdef');
  });

  test('replaces an X-Request-Id that is not sane with a fresh one', async () => {
    const { lines, logger } = captureLogs();
    t = await buildTestApp({}, { logger });
    const res = await request(t.app).get('/api/nowhere').set('X-Request-Id', 'has space').expect(404);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await lineOf(lines, id)).toMatchObject({ level: 30, status: 404, path: '/api/nowhere' });
  });

  test.each([
    [{}, /127\.0\.0\.1$/],
    [{ TRUST_PROXY: 'loopback' }, /^203\.0\.113\.7$/],
  ])('req.ip and the line follow TRUST_PROXY (%p); req.log carries the request id', async (env, ip) => {
    const { lines, logger } = captureLogs();
    t = await buildTestApp(env, { logger, extraRoutes: [probe] });
    const res = await request(t.app).get('/test/probe').set('X-Forwarded-For', '203.0.113.7').expect(200);
    const body = res.body as { ip: string; id: string };
    expect(body.ip).toMatch(ip);
    expect(body.id).toBe(res.headers['x-request-id']);
    expect((await lineOf(lines, body.id)).ip).toBe(body.ip);
    expect(lines.find((l) => l.msg === 'probe')).toMatchObject({ reqId: body.id });
  });
});
