/**
 * sendJson (src/http/json-response.ts) writes what Express's res.status(s).json(body) writes with
 * the gateway's settings: same status, headers and body, for errors and successes, HEAD, a
 * Content-Type already set and conditional requests.
 */
import { describe, expect, test } from '@jest/globals';
import express, { type Request, type Response } from 'express';
import request from 'supertest';
import { sendJson } from '../../src/http/json-response.js';

function app(direct: boolean): express.Express {
  const a = express();
  // The gateway's settings (src/app.ts).
  a.disable('x-powered-by');
  a.set('json spaces', 0);
  a.set('etag', false);
  a.all('/:status', (req: Request, res: Response) => {
    const status = Number(req.params.status);
    if (req.query.type) res.setHeader('Content-Type', String(req.query.type));
    const body = { status: 'error', message: 'Invalid phone number — ü', code: 'INVALID_PHONE', n: status, long: 'x'.repeat(Number(req.query.long ?? 0)) };
    if (direct) sendJson(res, status, body);
    else res.status(status).json(body);
  });
  return a;
}

const CASES: Array<{ method: 'get' | 'head' | 'post'; path: string; headers?: Record<string, string> }> = [
  { method: 'post', path: '/400' },
  { method: 'get', path: '/200' },
  { method: 'get', path: '/200?long=2000' },
  { method: 'head', path: '/200' },
  { method: 'head', path: '/404' },
  { method: 'get', path: '/429' },
  { method: 'get', path: '/503' },
  { method: 'get', path: '/200', headers: { 'If-None-Match': '*' } },
  { method: 'get', path: '/200', headers: { 'If-Modified-Since': 'Thu, 01 Jan 2099 00:00:00 GMT' } },
  { method: 'get', path: '/404', headers: { 'If-None-Match': '*' } },
  { method: 'get', path: '/204' },
  { method: 'get', path: '/400?type=text/plain' },
];

describe('sendJson', () => {
  const express5 = app(false);
  const direct = app(true);
  test.each(CASES)('%p: as res.status().json()', async ({ method, path, headers = {} }) => {
    const [a, b] = await Promise.all([request(express5)[method](path).set(headers), request(direct)[method](path).set(headers)]);
    const seen = (r: request.Response) => {
      const { date: _date, ...rest } = r.headers;
      return { status: r.status, headers: rest, body: r.text };
    };
    expect(seen(b)).toEqual(seen(a));
  });
});
