/**
 * Issue 13: the lean JSON reader (src/http/json-reader.ts) must answer every body exactly as
 * express.json with the same options did. One app mounts both behind the gateway's own error
 * handler and HTTP server; each body goes to both, over a raw socket, and the answers (status,
 * headers, body) must match. A few cases then go through the real send-message route.
 */
import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/http/error-handler.js';
import { jsonReader } from '../../src/http/json-reader.js';
import { listen, rawExchange, type Listening, type RawResponse } from '../support/raw-http.js';
import { buildTestApp } from '../support/test-app.js';

const LIMIT = 1024;
const TYPES = ['application/json', 'application/*+json'];

let server: Listening;
beforeAll(async () => {
  const app = express();
  const echo: express.RequestHandler = (req, res) => {
    res.json({ has: 'body' in req, kind: typeof req.body, body: req.body === undefined ? '(undefined)' : req.body });
  };
  app.post('/old', express.json({ limit: LIMIT, type: TYPES }), echo);
  app.post('/new', jsonReader({ limit: LIMIT, type: TYPES }), echo);
  app.use(errorHandler);
  server = await listen(app);
});
afterAll(() => server.close());

interface Case {
  name: string;
  type?: string;
  body: Buffer | string;
  headers?: string[];
  /** Content-Length to claim; the body's own length by default; null for chunked. */
  length?: number | null;
  /** Half-close after the body (a body cut short); otherwise the client waits for the answer. */
  end?: boolean;
  abort?: boolean;
}

function pieces(path: string, c: Case): Array<Buffer | string> {
  const body = typeof c.body === 'string' ? Buffer.from(c.body) : c.body;
  const head = [`POST ${path} HTTP/1.1`, 'Host: x', 'Connection: close', ...(c.type === undefined ? [] : [`Content-Type: ${c.type}`]), ...(c.headers ?? [])];
  if (c.length === null) {
    const chunked = body.length
      ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
      : Buffer.from('0\r\n\r\n');
    return [`${[...head, 'Transfer-Encoding: chunked'].join('\r\n')}\r\n\r\n`, chunked];
  }
  return [`${[...head, `Content-Length: ${c.length ?? body.length}`].join('\r\n')}\r\n\r\n`, body];
}

function comparable(res: RawResponse | undefined): unknown {
  if (!res) return undefined;
  const { date: _date, etag: _etag, ...headers } = res.headers;
  return { status: res.status, headers, body: res.body.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"') };
}

const JSON_TYPE = 'application/json';
const big = JSON.stringify({ message: 'x'.repeat(LIMIT) });
const CASES: Case[] = [
  { name: 'an object', type: JSON_TYPE, body: '{"phone":"6281234567890","message":"hi"}' },
  { name: 'an array', type: JSON_TYPE, body: '[1,2,{"a":null}]' },
  { name: 'leading whitespace', type: JSON_TYPE, body: ' \t\r\n {"a":1} \n' },
  { name: 'unicode and escapes', type: JSON_TYPE, body: '{"m":"Grüße — 🙂 \\u00e9 \\n"}' },
  { name: 'a byte-order mark', type: JSON_TYPE, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]) },
  { name: 'invalid UTF-8 in a string', type: JSON_TYPE, body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}')]) },
  { name: 'an empty body', type: JSON_TYPE, body: '' },
  { name: 'whitespace only', type: JSON_TYPE, body: '   ' },
  { name: 'malformed JSON', type: JSON_TYPE, body: '{"phone":' },
  { name: 'trailing garbage', type: JSON_TYPE, body: '{"a":1}x' },
  { name: 'a top-level string (strict)', type: JSON_TYPE, body: '"hello"' },
  { name: 'a top-level number (strict)', type: JSON_TYPE, body: ' 42' },
  { name: 'top-level null (strict)', type: JSON_TYPE, body: 'null' },
  { name: 'top-level true (strict)', type: JSON_TYPE, body: 'true' },
  { name: 'exactly the limit', type: JSON_TYPE, body: JSON.stringify({ m: 'y'.repeat(LIMIT - 8) }) },
  { name: 'over the limit', type: JSON_TYPE, body: big },
  { name: 'over the limit, chunked', type: JSON_TYPE, body: big, length: null },
  { name: 'chunked', type: JSON_TYPE, body: '{"a":1}', length: null },
  { name: 'charset=utf-8', type: 'application/json; charset=utf-8', body: '{"a":1}' },
  { name: 'charset="UTF-8"', type: 'application/json;charset="UTF-8"', body: '{"a":1}' },
  { name: 'charset with spaces', type: 'application/json ; charset = utf-8', body: '{"a":1}' },
  { name: 'charset=utf-16', type: 'application/json; charset=utf-16', body: Buffer.from('{"a":1}', 'utf16le') },
  { name: 'charset=latin1', type: 'application/json; charset=latin1', body: '{"a":1}' },
  { name: 'charset=utf-8 and another parameter', type: 'application/json; charset=utf-8; v=1', body: '{"a":1}' },
  { name: 'upper-case type', type: 'APPLICATION/JSON', body: '{"a":1}' },
  { name: 'a +json type', type: 'application/vnd.api+json', body: '{"a":1}' },
  { name: 'text/plain (not parsed)', type: 'text/plain', body: '{"a":1}' },
  { name: 'no Content-Type', body: '{"a":1}' },
  { name: 'a malformed Content-Type', type: 'application/json; charset', body: '{"a":1}' },
  { name: 'gzip', type: JSON_TYPE, body: gzipSync('{"a":"gz"}'), headers: ['Content-Encoding: gzip'] },
  { name: 'deflate', type: JSON_TYPE, body: deflateSync('{"a":"df"}'), headers: ['Content-Encoding: deflate'] },
  { name: 'identity', type: JSON_TYPE, body: '{"a":1}', headers: ['Content-Encoding: identity'] },
  { name: 'IDENTITY', type: JSON_TYPE, body: '{"a":1}', headers: ['Content-Encoding: IDENTITY'] },
  { name: 'gzip that is not gzip', type: JSON_TYPE, body: '{"a":1}', headers: ['Content-Encoding: gzip'] },
  { name: 'an unknown encoding', type: JSON_TYPE, body: '{"a":1}', headers: ['Content-Encoding: compress'] },
  { name: 'a body cut short (half-close)', type: JSON_TYPE, body: '{"a":', length: 40, end: true },
  { name: 'a body cut short (connection dropped)', type: JSON_TYPE, body: '{"a":', length: 40, abort: true, end: false },
];

describe('jsonReader answers as express.json did', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const exchange = (path: string) => rawExchange(server.port, { pieces: pieces(path, c), abort: c.abort, end: c.end ?? false, timeoutMs: 3000 });
    const before = await exchange('/old');
    const after = await exchange('/new');
    expect(comparable(after)).toEqual(comparable(before));
  });

  test('the server still answers after the dropped and cut-short bodies', async () => {
    const res = await rawExchange(server.port, { pieces: pieces('/new', { name: 'ok', type: JSON_TYPE, body: '{"a":1}' }) });
    expect(res?.status).toBe(200);
    expect(JSON.parse(res?.body ?? '')).toEqual({ has: true, kind: 'object', body: { a: 1 } });
  });
});

describe('the send-message route reads JSON through it', () => {
  test('a body with a byte-order mark is sent; a top-level string is malformed JSON; an empty body lacks a phone', async () => {
    const t = await buildTestApp();
    try {
      // supertest would serialize a Buffer as JSON under this Content-Type, so it goes raw.
      const listening = await listen(t.app);
      const bom = await rawExchange(listening.port, {
        pieces: pieces('/api/send-message', {
          name: 'bom',
          type: JSON_TYPE,
          body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"phone":"6281234567890","message":"hi"}')]),
        }),
      });
      await listening.close();
      expect(bom?.status).toBe(200);
      expect(t.transport.sent[0]?.text).toBe('hi');
      const strict = await request(t.app).post('/api/send-message').set('Content-Type', 'application/json').send('"hi"');
      expect(strict.status).toBe(400);
      expect(strict.body.code).toBe('MALFORMED_JSON');
      const empty = await request(t.app).post('/api/send-message').set('Content-Type', 'application/json').send('');
      expect(empty.status).toBe(400);
      expect(empty.body.code).toBe('PHONE_REQUIRED');
    } finally {
      await t.cleanup();
    }
  });
});
