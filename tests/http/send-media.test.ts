import { MEDIA_KINDS } from '../../src/domain/vocabulary.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES, sampleFor } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
let t: TestApp;
afterEach(async () => {
  // No upload survives its request, whatever happened in the test.
  if (t) expect(await t.uploadsLeft()).toEqual([]);
  await t?.cleanup();
});

describe.each(MEDIA_KINDS)('POST send-%s', (kind) => {
  const policy = DEFAULT_UPLOAD_POLICIES[kind];

  test.each(policy.extensions)('sends a .%s file and answers in the v2.0.0 shape', async (ext) => {
    t = await buildTestApp();
    const bytes = sampleFor(kind, ext);
    const res = await request(t.app)
      .post(policy.endpoint)
      .field('phone', '081234567890')
      .field('caption', 'Beautiful sunset photo!')
      .attach('file', bytes, `holiday photo.${ext.toUpperCase()}`)
      .expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: policy.successMessage,
      data: {
        phone: '6281234567890',
        filename: `holiday photo.${ext.toUpperCase()}`,
        ...(policy.acceptsCaption ? { caption: 'Beautiful sunset photo!' } : {}),
        type: kind,
        file_size_kb: Math.round((bytes.length / 1024) * 100) / 100,
        timestamp: expect.stringMatching(LOCAL_TIME),
        message_id: expect.any(String),
        id: expect.any(String),
        delivery_status: 'sent',
      },
    });
    const [sent] = t.transport.sent;
    expect(sent?.jid).toBe('6281234567890@s.whatsapp.net');
    expect(sent?.bytes?.equals(bytes)).toBe(true);
    expect(sent?.media?.fileName).toBe(`holiday photo.${ext.toUpperCase()}`);
    expect(sent?.media?.caption).toBe(policy.acceptsCaption ? 'Beautiful sunset photo!' : undefined);
    if (kind === 'audio') expect(sent?.media?.ptt).toBe(true);
  });

  test('rejects a wrong extension with the allowed list', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').attach('file', SAMPLE_FILES.exe!, 'virus.exe').expect(400);
    expect(res.body).toEqual({
      status: 'error',
      message: `Invalid file type. Allowed: ${JSON.stringify(policy.extensions)}`,
      timestamp: expect.any(String),
      code: 'INVALID_FILE_TYPE',
    });
  });

  test('400 File required without a file', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').expect(400);
    expect(res.body).toMatchObject({ status: 'error', message: 'File required' });
  });

  test('400 Phone number required without a phone', async () => {
    t = await buildTestApp();
    const ext = policy.extensions[0]!;
    const res = await request(t.app).post(policy.endpoint).attach('file', sampleFor(kind, ext), `a.${ext}`).expect(400);
    expect(res.body).toMatchObject({ status: 'error', message: 'Phone number required' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('413 naming the limit when the file is too large', async () => {
    t = await buildTestApp({ [`MAX_${kind.toUpperCase()}_SIZE_MB`]: '0.25' });
    const ext = policy.extensions[0]!;
    const big = Buffer.concat([sampleFor(kind, ext), Buffer.alloc(300 * 1024)]);
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').attach('file', big, `big.${ext}`).expect(413);
    expect(res.body).toMatchObject({ status: 'error', code: 'FILE_TOO_LARGE' });
    expect(res.body.message).toContain('256KB');
    expect(t.transport.sent).toHaveLength(0);
  });

  test('rejects content that does not match the extension', async () => {
    t = await buildTestApp();
    const ext = policy.extensions[0]!;
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').attach('file', SAMPLE_FILES.exe!, `trojan.${ext}`).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'FILE_CONTENT_MISMATCH' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('500 Failed to send message when WhatsApp refuses, and the upload is gone', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new Error('Media upload failed on all hosts');
    const ext = policy.extensions[0]!;
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').attach('file', sampleFor(kind, ext), `a.${ext}`).expect(500);
    expect(res.body).toMatchObject({ status: 'error', message: 'Failed to send message: Media upload failed on all hosts' });
  });

  test('503 before reading the upload when not connected', async () => {
    t = await buildTestApp();
    t.transport.phase = 'connecting';
    const ext = policy.extensions[0]!;
    const res = await request(t.app).post(policy.endpoint).field('phone', '6281234567890').attach('file', sampleFor(kind, ext), `a.${ext}`).expect(503);
    expect(res.body).toMatchObject({ message: 'Bot not connected' });
  });
});

describe('upload edge cases', () => {
  test('caption is null when absent on captioned kinds', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-image').field('phone', '6281234567890').attach('file', SAMPLE_FILES.jpg!, 'a.jpg').expect(200);
    expect(res.body.data.caption).toBeNull();
  });

  test('a file in another field is refused clearly', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-image').field('phone', '6281234567890').attach('image', SAMPLE_FILES.jpg!, 'a.jpg').expect(400);
    expect(res.body).toMatchObject({ code: 'UNEXPECTED_FILE_FIELD' });
  });

  test('a JSON body on an upload endpoint has no file: 400 File required', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-image').send({ phone: '6281234567890' }).expect(400);
    expect(res.body).toMatchObject({ status: 'error', message: 'File required', code: 'FILE_REQUIRED' });
  });

  test('a truncated multipart body is a 400', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-image')
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send(
        '--XYZ\r\nContent-Disposition: form-data; name="phone"\r\n\r\n6281234567890\r\n--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8\xff',
      )
      .expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MALFORMED_MULTIPART' });
  });

  test('UTF-8 file names survive', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-document')
      .field('phone', '6281234567890')
      .attach('file', SAMPLE_FILES.pdf!, 'laporan-keuangan-Grüße-日本.pdf')
      .expect(200);
    expect(res.body.data.filename).toBe('laporan-keuangan-Grüße-日本.pdf');
    expect(t.transport.sent[0]?.media?.fileName).toBe('laporan-keuangan-Grüße-日本.pdf');
  });

  test('a client that aborts mid-upload leaves no file behind', async () => {
    t = await buildTestApp();
    const server = http.createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/send-video',
      headers: { 'Content-Type': 'multipart/form-data; boundary=XYZ', 'Content-Length': String(5 * 1024 * 1024) },
    });
    req.on('error', () => {});
    req.write('--XYZ\r\nContent-Disposition: form-data; name="phone"\r\n\r\n6281234567890\r\n');
    req.write('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n');
    req.write(Buffer.concat([SAMPLE_FILES.mp4!, Buffer.alloc(256 * 1024)]));
    // Wait until the partial file is on disk, then vanish.
    for (let i = 0; i < 100 && (await t.uploadsLeft()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await t.uploadsLeft()).length).toBe(1);
    req.destroy();
    for (let i = 0; i < 100 && (await t.uploadsLeft()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a client that leaves while the send is in flight still gets its file removed', async () => {
    t = await buildTestApp();
    t.transport.holdSends = true;
    const server = http.createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    // The client leaves once its send is in flight (held), not after a guess at how long that takes.
    const form = new FormData();
    form.set('phone', '6281234567890');
    form.set('file', new Blob([SAMPLE_FILES.png!], { type: 'image/png' }), 'a.png');
    const leaving = new AbortController();
    const pending = fetch(`http://127.0.0.1:${port}/api/send-image`, { method: 'POST', body: form, signal: leaving.signal }).then(
      () => 'answered',
      () => 'aborted',
    );
    await until(() => t.transport.heldSends === 1);
    leaving.abort();
    expect(await pending).toBe('aborted');
    expect((await t.uploadsLeft()).length).toBe(1); // still sending
    t.transport.releaseHeld();
    for (let i = 0; i < 100 && (await t.uploadsLeft()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
});
