import { afterEach, describe, expect, test } from '@jest/globals';
import express from 'express';
import type { OnceResult } from '../../src/http/idempotency.js';
import { writeOnceResult } from '../../src/http/idempotency.js';
import { listen, rawExchange, type Listening } from '../support/raw-http.js';

// writeOnceResult writes the send routes' answers itself instead of through res.json: the bytes
// must be what res.json wrote (the v2.0.0 contract), headers and their order included.
let server: Listening | undefined;
afterEach(() => server?.close());

function app(result: OnceResult) {
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 0);
  app.set('etag', false);
  const before = (_req: express.Request, res: express.Response, next: express.NextFunction) => {
    // As the middleware before a send route sets them.
    res.setHeader('X-Request-Id', 'r-1');
    res.setHeader('RateLimit-Limit', '100');
    next();
  };
  app.post('/express', before, (_req, res) => {
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(result.response.statusCode).json(result.response.body);
  });
  app.post('/direct', before, (_req, res) => writeOnceResult(res, result));
  return app;
}

async function raw(port: number, path: string): Promise<string> {
  const response = await rawExchange(port, { pieces: [`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`] });
  return (response?.raw ?? '').replace(/\r\nDate: [^\r]*/, '');
}

const body = (message: string, status = 'sent') => ({
  status: 'success',
  message: 'Text message sent successfully',
  data: { phone: '6281234567890', message, type: 'text', timestamp: '2026-12-03 08:00:00', message_id: '3EB0AB', id: 'u-1', delivery_status: status },
});

describe('writeOnceResult', () => {
  test.each<[string, OnceResult]>([
    ['a sent text', { response: { statusCode: 200, body: body('hi') }, replayed: false }],
    ['a queued text (202)', { response: { statusCode: 202, body: body('hi', 'queued') }, replayed: false }],
    ['a replayed answer', { response: { statusCode: 200, body: body('hi') }, replayed: true }],
    ['multi-byte text', { response: { statusCode: 200, body: body('héllo 👋 "quoted" \\ </script> \u2028') }, replayed: false }],
    ['a text over 1000 bytes (res.send sends a Buffer then)', { response: { statusCode: 200, body: body('x'.repeat(5000) + 'é') }, replayed: false }],
  ])('answers %s byte for byte as res.json did', async (_name, result) => {
    server = await listen(app(result));
    const viaExpress = await raw(server.port, '/express');
    expect(viaExpress).toMatch(/^HTTP\/1\.1 20[02] /);
    expect(await raw(server.port, '/direct')).toBe(viaExpress);
  });
});
