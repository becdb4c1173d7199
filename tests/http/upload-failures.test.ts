/**
 * Issue 8, D1 and D7: a multipart body that goes wrong after a complete `file` part has been
 * stored. Multer removes the file itself; the gateway must answer with the catalogue's error,
 * never touch a path that is no longer there, leave nothing on disk, and keep serving. A client
 * that drops the connection after the file part is an ordinary event, logged at info.
 */
import { MEDIA_KINDS } from '../../src/domain/vocabulary.js';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { listen, multipart, postHead, rawExchange, type Listening } from '../support/raw-http.js';
import { sampleFor } from '../support/fixtures.js';
import { captureLogs } from '../support/captured-logs.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp | undefined;
let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (t) expect(await t.uploadsLeft()).toEqual([]);
  await t?.cleanup();
  t = undefined;
});

const BOUNDARY = 'hostileBoundary7MA4YWxk';
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

async function stillServes(app: TestApp['app']): Promise<void> {
  await request(app).get('/api/health').expect(200);
}

describe.each(MEDIA_KINDS)('send-%s: errors after a stored file part', (kind) => {
  const policy = DEFAULT_UPLOAD_POLICIES[kind];
  const ext = policy.extensions[0]!;
  const file = { name: 'file', value: sampleFor(kind, ext), filename: `a.${ext}`, contentType: 'application/octet-stream' };
  const phone = { name: 'phone', value: '6281234567890' };

  async function post(body: Buffer) {
    return request(t!.app).post(policy.endpoint).set('Content-Type', CONTENT_TYPE).send(body);
  }

  test('a second file part: 400 that says only one file may be sent', async () => {
    t = await buildTestApp();
    const res = await post(multipart(BOUNDARY, [phone, file, file]));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ status: 'error', message: 'Only one file may be sent (field "file")', timestamp: expect.any(String), code: 'TOO_MANY_FILES' });
    expect(t.transport.sent).toHaveLength(0);
    await stillServes(t.app);
  });

  test('a caption sent as a file: 400 naming the field', async () => {
    t = await buildTestApp();
    const res = await post(multipart(BOUNDARY, [phone, file, { name: 'caption', value: 'hello', filename: 'caption.txt' }]));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNEXPECTED_FILE_FIELD', message: expect.stringContaining('"caption"') });
    await stillServes(t.app);
  });

  test('a caption over 64 KB after the file: 400 TOO_MANY_FIELDS', async () => {
    t = await buildTestApp();
    const res = await post(multipart(BOUNDARY, [phone, file, { name: 'caption', value: 'c'.repeat(64 * 1024 + 1) }]));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'TOO_MANY_FIELDS' });
    await stillServes(t.app);
  });

  test('21 extra fields after the file: 400 TOO_MANY_FIELDS', async () => {
    t = await buildTestApp();
    const extra = Array.from({ length: 21 }, (_, i) => ({ name: `x${i}`, value: 'y' }));
    const res = await post(multipart(BOUNDARY, [phone, file, ...extra]));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'TOO_MANY_FIELDS' });
    await stillServes(t.app);
  });

  test('a body that ends inside the part after the file: 400 MALFORMED_MULTIPART', async () => {
    t = await buildTestApp();
    const whole = multipart(BOUNDARY, [phone, file, { name: 'caption', value: 'a caption that is cut short' }], false);
    const res = await post(whole.subarray(0, whole.length - 12));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MALFORMED_MULTIPART' });
    await stillServes(t.app);
  });

  test('a client that drops the connection after the file part: nothing left, logged at info, still serving', async () => {
    const { lines, logger } = captureLogs();
    t = await buildTestApp({}, { logger });
    server = await listen(t.app);
    // curl -F file=@x -F caption=… sends the file first; the connection drops inside the caption.
    const body = multipart(BOUNDARY, [phone, file, { name: 'caption', value: 'x'.repeat(4000) }]);
    const cut = body.length - 2000;
    const answer = await rawExchange(server.port, {
      pieces: [postHead(policy.endpoint, CONTENT_TYPE, body.length), body.subarray(0, cut)],
      abort: true,
    });
    expect(answer).toBeUndefined();
    const deadline = Date.now() + 5000;
    // The request line comes when the socket closes; the abort line once multer has cleaned up.
    const logged = () => lines.some((l) => l.msg === 'request' && l.aborted === true) && lines.some((l) => l.msg === 'client aborted the upload');
    while (!logged() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const requestLine = lines.find((l) => l.msg === 'request' && l.aborted === true);
    expect(requestLine).toMatchObject({ level: 30, path: policy.endpoint });
    expect(lines.find((l) => l.msg === 'client aborted the upload')).toMatchObject({ level: 30 });
    // Nothing at error level, and no stack anywhere.
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('stack');
    expect(t.transport.sent).toHaveLength(0);
    await stillServes(t.app);
  });
});

describe('text endpoint', () => {
  test('a file part on send-message is refused without inventing a field name', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .set('Content-Type', CONTENT_TYPE)
      .send(
        multipart(BOUNDARY, [
          { name: 'phone', value: '6281234567890' },
          { name: 'message', value: 'hi' },
          { name: 'file', value: 'x', filename: 'a.txt' },
        ]),
      );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNEXPECTED_FILE_FIELD' });
    expect(res.body.message).not.toContain('unknown');
  });
});

describe('an error found before the body is read still reaches the client', () => {
  // Found by the hostile suite: a boundary with characters a Content-Type token cannot hold ends
  // the multipart parse early, the answer went out while 2 MB were still arriving, and Node's
  // close of the socket reached the client as a reset instead of the answer.
  test.each([
    ['a wrong API key (401)', { API_KEY: 'the-right-key-0123456789' }, ['X-API-Key: a-wrong-key-0123456789'], 401, 'UNAUTHORIZED'],
    ['a body the parser gave up on (400)', {}, [], 400, 'PHONE_REQUIRED'],
  ])('%s while 2 MB are still on their way', async (_name, env, headers, status, code) => {
    t = await buildTestApp(env);
    server = await listen(t.app);
    const boundary = 'KZ+(_,.T-';
    const body = multipart(boundary, [
      { name: 'phone', value: '6281234567890' },
      { name: 'blob', value: 'y'.repeat(2 * 1024 * 1024) },
    ]);
    const head = postHead('/api/send-document', `multipart/form-data; boundary=${boundary}`, body.length, headers);
    const answer = await rawExchange(server.port, { pieces: [head, body], end: false });
    expect(answer?.status).toBe(status);
    expect(JSON.parse(answer!.body)).toMatchObject({ status: 'error', code });
  });
});
