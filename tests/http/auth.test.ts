import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const KEY = 'test-key-0123456789abcdef';
const OLD_KEY = 'old-key-fedcba9876543210';
let t: TestApp;
afterEach(() => t?.cleanup());

const guarded: Array<[string, string]> = [
  ['get', '/api/status'],
  ['get', '/api/qr'],
  ['post', '/api/logout'],
  ['post', '/api/send-message'],
  ['post', '/api/send-image'],
  ['post', '/api/send-document'],
  ['post', '/api/send-audio'],
  ['post', '/api/send-video'],
  ['post', '/api/send-sticker'],
];

describe('API key', () => {
  test.each(guarded)('%s %s is 401 without a key', async (method, path) => {
    t = await buildTestApp({ API_KEY: KEY });
    const res = await request(t.app)[method as 'get'](path).expect(401);
    expect(res.body).toMatchObject({ status: 'error', message: 'Unauthorized: Invalid or missing API key', code: 'UNAUTHORIZED' });
  });

  test('wrong key, wrong scheme and near-misses are refused', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    for (const headers of [
      { 'X-API-Key': 'wrong' },
      { 'X-API-Key': KEY.slice(0, -1) },
      { 'X-API-Key': `${KEY}x` },
      { Authorization: `Basic ${KEY}` },
      { Authorization: 'Bearer ' },
    ]) {
      await request(t.app).get('/api/status').set(headers).expect(401);
    }
  });

  test('accepts X-API-Key and Authorization: Bearer, and every configured key', async () => {
    t = await buildTestApp({ API_KEY: `${KEY}, ${OLD_KEY}` });
    await request(t.app).get('/api/status').set('X-API-Key', KEY).expect(200);
    await request(t.app).get('/api/status').set('Authorization', `Bearer ${KEY}`).expect(200);
    await request(t.app).get('/api/status').set('authorization', `bearer ${OLD_KEY}`).expect(200);
  });

  test('GET / and /api/health stay public', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    await request(t.app).get('/').expect(200);
    await request(t.app).get('/api/health').expect(200);
  });

  test('everything is open when no key is configured', async () => {
    t = await buildTestApp();
    await request(t.app).get('/api/status').expect(200);
  });

  test('is checked before the upload body is read: nothing reaches the disk', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const server = http.createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    // Announce a 10 MB multipart body but send only the headers: a 401 must come back anyway.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/send-video',
        headers: { 'Content-Type': 'multipart/form-data; boundary=XYZ', 'Content-Length': String(10 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n');
    });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(status).toBe(401);
    expect(await t.uploadsLeft()).toEqual([]);
    expect(t.transport.sent).toHaveLength(0);
  });
});
