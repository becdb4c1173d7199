/**
 * Requests that Node's own HTTP parser refuses, sent byte for byte over a raw socket to the server
 * the gateway creates (createHttpServer): each is answered in the contract's JSON error body with
 * the right status, and the server keeps serving afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listen, rawExchange, type Listening } from '../support/raw-http.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let server: Listening;
beforeAll(async () => {
  t = await buildTestApp();
  server = await listen(t.app);
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

const JSON_HEAD = 'POST /api/send-message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
const BODY = '{"phone":"6281234567890","message":"hi"}';

const CASES: Array<[string, string, number, string]> = [
  [
    'Content-Length with chunked',
    `${JSON_HEAD}Content-Length: ${BODY.length}\r\nTransfer-Encoding: chunked\r\n\r\n${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`,
    400,
    'MALFORMED_REQUEST',
  ],
  ['a bad chunk size', `${JSON_HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n${BODY}\r\n0\r\n\r\n`, 400, 'MALFORMED_REQUEST'],
  ['two Content-Lengths', `${JSON_HEAD}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`, 400, 'MALFORMED_REQUEST'],
  ['Content-Length: abc', `${JSON_HEAD}Content-Length: abc\r\n\r\n${BODY}`, 400, 'MALFORMED_REQUEST'],
  ['a negative Content-Length', `${JSON_HEAD}Content-Length: -1\r\n\r\n${BODY}`, 400, 'MALFORMED_REQUEST'],
  ['an unknown Transfer-Encoding with a length', `${JSON_HEAD}Transfer-Encoding: gzip, chunked, x\r\nContent-Length: 3\r\n\r\nabc`, 400, 'MALFORMED_REQUEST'],
  ['headers over 16 KB', `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  [
    'many headers over 16 KB',
    `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(40)}\r\n`).join('')}\r\n`,
    431,
    'HEADERS_TOO_LARGE',
  ],
  ['a URL over 16 KB', `GET /api/health?q=${'u'.repeat(17 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ['a NUL in a header value', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\u0000b\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['a NUL in a header name', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\u0000: a\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['an obs-fold header line', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n  b\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['a space before the colon', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Space : a\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['no Host on HTTP/1.1', 'GET /api/health HTTP/1.1\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  [
    'no Host on a POST with a body',
    `POST /api/send-message HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
    400,
    'MALFORMED_REQUEST',
  ],
  ['an unknown method', 'FROB /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['a lower-case method', 'get /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['an invalid HTTP version', 'GET /api/health HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['garbage instead of a request line', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['a bare LF inside a header', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\nX-B: 2\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ['Expect: foo', `${JSON_HEAD}Content-Length: ${BODY.length}\r\nExpect: foo\r\n\r\n${BODY}`, 417, 'EXPECTATION_FAILED'],
  ['Expect: 200-ok on a GET', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\n\r\n', 417, 'EXPECTATION_FAILED'],
];

describe("Node's parser errors are answered in the contract's error body", () => {
  test.each(CASES)('%s', async (_name, raw, status, code) => {
    const res = await rawExchange(server.port, { pieces: [Buffer.from(raw, 'latin1')] });
    expect(res?.status).toBe(status);
    expect(res?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res!.body)).toEqual({ status: 'error', message: expect.any(String), timestamp: expect.any(String), code });
    expect(res!.body).not.toMatch(/HPE_|TypeError|at .*\.js/);
    // The server is still there for the next client.
    const health = await rawExchange(server.port, { pieces: ['GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'] });
    expect(health?.status).toBe(200);
  });

  test('Expect: 100-continue still works: the body follows the interim response', async () => {
    const res = await rawExchange(server.port, {
      pieces: [`${JSON_HEAD}Content-Length: ${BODY.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`, BODY],
    });
    expect(res?.status).toBe(100);
    expect(res?.raw).toMatch(/HTTP\/1\.1 200 OK[\s\S]*"status":"success"/);
  });

  test('HTTP/1.0 without Host is fine (Host is an HTTP/1.1 requirement)', async () => {
    const res = await rawExchange(server.port, { pieces: ['GET /api/health HTTP/1.0\r\n\r\n'] });
    expect(res?.status).toBe(200);
  });

  test('a parser error on a keep-alive connection after a good request is answered too', async () => {
    const res = await rawExchange(server.port, {
      untilClose: true,
      // No half-close: a FIN that reaches the server with the bad request (a loaded machine) ends
      // the connection before the 400 can be written, which is right for that client but not
      // what this case is about. The server closes after the 400 by itself.
      end: false,
      pieces: ['GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n'],
    });
    expect(res?.status).toBe(200);
    expect(res?.raw).toMatch(/HTTP\/1\.1 400 Bad Request[\s\S]*"code":"MALFORMED_REQUEST"/);
  });

  test('a parser error in a request pipelined behind a slow response is answered after that response', async () => {
    // The earlier response is still being written when the parser fails on the next request: the
    // 400 must wait for it rather than cut it off (what a loaded machine does to the case above).
    const slow = await listen((_req, res) => {
      setTimeout(() => res.end('slow but whole'), 150);
    });
    try {
      const res = await rawExchange(slow.port, {
        untilClose: true,
        end: false,
        pieces: ['GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'GET /next HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n'],
      });
      expect(res?.status).toBe(200);
      expect(res?.raw).toMatch(/slow but whole[\s\S]*HTTP\/1\.1 400 Bad Request[\s\S]*"code":"MALFORMED_REQUEST"/);
    } finally {
      await slow.close();
    }
  });
});
