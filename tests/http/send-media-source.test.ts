/**
 * Media by `url` or `base64` in a JSON body, through the real app: the file then takes an
 * upload's path (content check, send, record) and is gone from the upload folder afterwards.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const image = DEFAULT_UPLOAD_POLICIES.image;
const PNG = SAMPLE_FILES.png!;
const apps: TestApp[] = [];
let server: http.Server | undefined;

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await buildTestApp(env);
  apps.push(t);
  return t;
}

afterEach(async () => {
  for (const t of apps.splice(0)) {
    // Nothing a JSON-sourced file left behind, whatever the answer was.
    expect(await t.uploadsLeft()).toEqual([]);
    await t.cleanup();
  }
  if (server) await new Promise((done) => server!.close(done));
  server = undefined;
});

/** A loopback server handing out the PNG sample; counts the connections it saw. */
async function pngServer(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(PNG));
  server.on('connection', () => connections++);
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/photos/sunset.png`, connections: () => connections };
}

describe('media by base64', () => {
  test('a data URL with a filename is sent like an upload', async () => {
    const t = await app();
    const res = await request(t.app)
      .post(image.endpoint)
      .send({ phone: '081234567890', base64: `data:image/png;base64,${PNG.toString('base64')}`, filename: 'dot.png', caption: 'Hi' })
      .expect(200);
    expect(res.body.data).toMatchObject({ phone: '6281234567890', filename: 'dot.png', caption: 'Hi', type: 'image', delivery_status: 'sent' });
    expect(t.transport.sent).toHaveLength(1);
    expect(t.transport.sent[0]!.jid).toBe('6281234567890@s.whatsapp.net');
    expect(t.transport.sent[0]!.bytes).toEqual(PNG);
  });

  test('without a filename: 400 FILENAME_REQUIRED', async () => {
    const t = await app();
    const res = await request(t.app)
      .post(image.endpoint)
      .send({ phone: '081234567890', base64: PNG.toString('base64') })
      .expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'FILENAME_REQUIRED' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a wrong extension: 400 INVALID_FILE_TYPE, as for an upload', async () => {
    const t = await app();
    const res = await request(t.app)
      .post(image.endpoint)
      .send({ phone: '081234567890', base64: PNG.toString('base64'), filename: 'dot.exe' })
      .expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'INVALID_FILE_TYPE', message: `Invalid file type. Allowed: ${JSON.stringify(image.extensions)}` });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('both url and base64: 400 MEDIA_SOURCE_CONFLICT', async () => {
    const t = await app();
    const res = await request(t.app)
      .post(image.endpoint)
      .send({ phone: '081234567890', url: 'https://example.com/a.png', base64: PNG.toString('base64'), filename: 'dot.png' })
      .expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MEDIA_SOURCE_CONFLICT' });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a JSON body with neither still answers 400 File required', async () => {
    const t = await app();
    const res = await request(t.app).post(image.endpoint).send({ phone: '081234567890', caption: 'x' }).expect(400);
    expect(res.body).toMatchObject({ status: 'error', message: 'File required', code: 'FILE_REQUIRED' });
  });
});

describe('media by url', () => {
  test('fetched from a loopback server when MEDIA_URL_ALLOW_PRIVATE=true, and sent', async () => {
    const { url, connections } = await pngServer();
    const t = await app({ MEDIA_URL_ALLOW_PRIVATE: 'true' });
    const res = await request(t.app).post(image.endpoint).send({ phone: '081234567890', url }).expect(200);
    expect(res.body.data).toMatchObject({ filename: 'sunset.png', type: 'image', delivery_status: 'sent' });
    expect(t.transport.sent).toHaveLength(1);
    expect(t.transport.sent[0]!.bytes).toEqual(PNG);
    expect(connections()).toBe(1);
  });

  test('by default a loopback URL is refused with 400 MEDIA_FETCH_FAILED before any connection', async () => {
    const { url, connections } = await pngServer();
    const t = await app();
    const res = await request(t.app).post(image.endpoint).send({ phone: '081234567890', url }).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MEDIA_FETCH_FAILED', message: expect.stringMatching(/^Could not fetch media: /) });
    expect(connections()).toBe(0);
    expect(t.transport.sent).toHaveLength(0);
  });
});
