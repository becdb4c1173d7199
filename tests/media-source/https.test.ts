/** https URLs go through the same guarded lookup, and certificates are verified. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { AppError } from '../../src/errors/app-error.js';
import { createMediaSource } from '../../src/media-source/media-source.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { filesIn, makeUploadDir, onlyTestPublicServer, removeDir } from './test-servers.js';

interface HttpsServer {
  port: number;
  tcpConnections: number;
  close(): Promise<void>;
}

async function startHttps(host: string): Promise<HttpsServer> {
  const pems = await generate([{ name: 'commonName', value: host }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: host }] }],
  });
  const server = https.createServer(
    { key: pems.private, cert: pems.cert },
    (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(SAMPLE_FILES.png),
  );
  const state: HttpsServer = {
    port: 0,
    tcpConnections: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server.on('connection', () => state.tcpConnections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

let publicTls: HttpsServer;
let privateTls: HttpsServer;
let uploadDir: string;

beforeAll(async () => {
  [publicTls, privateTls] = await Promise.all([startHttps('127.0.0.2'), startHttps('127.0.0.1')]);
  uploadDir = makeUploadDir();
});

afterAll(async () => {
  await Promise.all([publicTls.close(), privateTls.close()]);
  removeDir(uploadDir);
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(filesIn(uploadDir)).toEqual([]);
  return error as AppError;
}

test('a certificate nobody vouches for is refused', async () => {
  const source = createMediaSource({ uploadDir, allowPrivate: false, timeoutMs: 20_000, addressPolicy: onlyTestPublicServer });
  const error = await failure(source.obtain({ url: `https://127.0.0.2:${publicTls.port}/photo.png` }, DEFAULT_UPLOAD_POLICIES.image));
  expect(error).toMatchObject({ code: 'MEDIA_FETCH_FAILED', message: "Could not fetch media: the server's TLS certificate is not trusted" });
  expect(publicTls.tcpConnections).toBe(1);
});

test('https to a name that resolves to loopback never connects', async () => {
  const source = createMediaSource({ uploadDir, allowPrivate: false, timeoutMs: 20_000 });
  const error = await failure(source.obtain({ url: `https://localhost:${privateTls.port}/photo.png` }, DEFAULT_UPLOAD_POLICIES.image));
  expect(error.message).toBe('Could not fetch media: localhost resolves to an address that is not allowed (private or local network)');
  expect(privateTls.tcpConnections).toBe(0);
});
