/**
 * Fetching media by URL from a "public" test server (127.0.0.2): where the file lands and under which
 * name, and the limits: redirects, time, size (declared and streamed). Every failure leaves the upload
 * folder empty.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { AppError } from '../../src/errors/app-error.js';
import { createMediaSource } from '../../src/media-source/media-source.js';
import { checkUploadContent } from '../../src/messaging/content-check.js';
import { DEFAULT_UPLOAD_POLICIES, type UploadPolicy } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { filesIn, fixedResolver, makeUploadDir, onlyTestPublicServer, removeDir, startServer, type TestServer } from './test-servers.js';

const LIMIT = 256 * 1024;
const image: UploadPolicy = { ...DEFAULT_UPLOAD_POLICIES.image, maxBytes: LIMIT };
const document = DEFAULT_UPLOAD_POLICIES.document;
const png = SAMPLE_FILES.png!;

let server: TestServer;
let uploadDir: string;
/** Server-side ends of streaming responses, to see when the gateway hung up. */
const hungUp: Array<Promise<number>> = [];

function whenClosed(res: ServerResponse, sent: () => number): void {
  hungUp.push(new Promise((resolve) => res.once('close', () => resolve(sent()))));
}

beforeAll(async () => {
  server = await startServer('127.0.0.2');
  server.handle('/photo.png', (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(png));
  server.handle('/photo', (_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg; charset=binary' }).end(SAMPLE_FILES.jpg));
  server.handle(
    '/download',
    (_req, res) =>
      void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="holiday.png"' }).end(png),
  );
  server.handle(
    '/download-utf8',
    (_req, res) =>
      void res.writeHead(200, { 'content-disposition': `attachment; filename="fallback.png"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20..%2F..%2Fetc.png` }).end(png),
  );
  server.handle('/fake.jpg', (_req, res) => void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(SAMPLE_FILES.exe));
  server.handle('/setup.exe', (_req, res) => void res.writeHead(200).end(SAMPLE_FILES.exe));
  server.handle('/gone.png', (_req, res) => void res.writeHead(404).end('not here'));
  for (let n = 0; n <= 5; n++)
    server.handle(
      `/hops/${n}`,
      (_req, res) => void (n === 0 ? res.writeHead(200, { 'content-type': 'image/png' }).end(png) : res.writeHead(302, { location: `/hops/${n - 1}` }).end()),
    );
  server.handle('/loop', (_req, res) => void res.writeHead(302, { location: '/loop' }).end());
  server.handle('/stall', (_req, res) => whenClosed(res, () => 0));
  server.handle('/stall-body.png', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.write(png);
    whenClosed(res, () => png.length);
  });
  server.handle('/endless.png', (_req, res) => {
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    res.writeHead(200, { 'content-type': 'image/png' });
    let open = true;
    res.once('close', () => (open = false));
    const pump = () => {
      // Respects backpressure, so it sends only as fast as the gateway reads, and forever if allowed.
      while (open) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
    whenClosed(res, () => sent);
  });
  server.handle('/declared-too-big.png', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(LIMIT + 1) });
    res.flushHeaders();
    whenClosed(res, () => 0);
  });
  server.handle(
    '/at-limit.png',
    (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([png, Buffer.alloc(LIMIT - png.length)])),
  );
  server.handle('/cut-short.png', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': '4096' });
    res.write(png);
    setImmediate(() => res.socket?.destroy());
  });
});

afterAll(() => server.close());

beforeEach(() => {
  uploadDir = makeUploadDir();
  server.connections = 0;
  server.requests = [];
});

afterEach(() => {
  expect(filesIn(uploadDir).filter((f) => !kept.has(f))).toEqual([]);
  kept.clear();
  removeDir(uploadDir);
});

const kept = new Set<string>();

function source(timeoutMs = 20_000) {
  return createMediaSource({
    uploadDir,
    allowPrivate: false,
    timeoutMs,
    addressPolicy: onlyTestPublicServer,
    resolver: fixedResolver({ 'media.test': ['127.0.0.2'] }),
  });
}

async function fetched(url: string, policy: UploadPolicy = image, filename?: string) {
  const media = await source().obtain({ url, filename }, policy);
  kept.add(path.basename(media.path));
  return media;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('a fetched file lands in the upload folder as an upload would', () => {
  test('under a random name with its extension, byte for byte, and passes the same content check', async () => {
    const media = await fetched(`${server.origin}/photo.png`);
    expect(path.dirname(media.path)).toBe(uploadDir);
    expect(path.basename(media.path)).toMatch(/^[0-9a-f]{32}\.png$/);
    expect(readFileSync(media.path)).toEqual(png);
    expect(media).toMatchObject({ originalName: 'photo.png', size: png.length, declaredType: 'image/png' });
    await expect(checkUploadContent('image', 'png', media.path)).resolves.toEqual({ detectedMime: 'image/png' });
  });

  test('an executable served as .jpg is stored, and then refused by the upload content check', async () => {
    const media = await fetched(`${server.origin}/fake.jpg`);
    const error = await failure(checkUploadContent('image', 'jpg', media.path));
    expect(error.code).toBe('FILE_CONTENT_MISMATCH');
  });

  test('by name, through the (injected) DNS', async () => {
    const media = await fetched(`http://media.test:${server.port}/photo.png`);
    expect(media.originalName).toBe('photo.png');
  });
});

describe('the file name', () => {
  test.each([
    ['/photo.png', undefined, 'photo.png', 'the URL path'],
    ['/photo', undefined, 'photo.jpg', 'the URL path, extension from the Content-Type'],
    ['/download', undefined, 'holiday.png', 'Content-Disposition'],
    ['/download-utf8', undefined, 'etc.png', 'Content-Disposition filename*, reduced to its last segment'],
    ['/photo.png', 'mine.png', 'mine.png', "the client's filename wins"],
    ['/photo', 'mine', 'mine.jpg', "the client's filename, extension from the Content-Type"],
  ])('%s with filename %s → %s (%s)', async (urlPath, filename, expected, _why) => {
    const media = await fetched(`${server.origin}${urlPath}`, image, filename);
    expect(media.originalName).toBe(expected);
  });

  test("a client's filename with a wrong extension is refused before connecting", async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/photo.png`, filename: 'photo.exe' }, image));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_FILE_TYPE' });
    expect(server.connections).toBe(0);
  });

  test('a URL whose name has a wrong extension is refused once the headers arrive, before the body is stored', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/setup.exe` }, document));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_FILE_TYPE' });
  });
});

describe('answers that are not the file', () => {
  test('a 404', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/gone.png` }, image));
    expect(error).toMatchObject({ status: 400, code: 'MEDIA_FETCH_FAILED', message: 'Could not fetch media: the server answered 404' });
  });

  test('a name that does not resolve', async () => {
    const error = await failure(source().obtain({ url: `http://nowhere.test:${server.port}/photo.png` }, image));
    expect(error.message).toBe(`Could not fetch media: host nowhere.test not found`);
  });

  test('a redirect to a name that does not resolve names that host', async () => {
    server.handle('/to-nowhere', (_req, res) => void res.writeHead(302, { location: 'http://nowhere.test/photo.png' }).end());
    const error = await failure(source().obtain({ url: `${server.origin}/to-nowhere` }, image));
    expect(error.message).toBe('Could not fetch media: host nowhere.test not found');
  });

  test('nothing listening', async () => {
    const closed = await startServer('127.0.0.2');
    await closed.close();
    const error = await failure(source().obtain({ url: `${closed.origin}/photo.png` }, image));
    expect(error.message).toBe('Could not fetch media: connection refused');
  });

  test('a body cut short', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/cut-short.png` }, image));
    expect(error.message).toBe('Could not fetch media: the connection closed before the whole file arrived');
  });
});

test("a storage failure is not reported as the URL's fault", async () => {
  const missing = path.join(uploadDir, 'gone');
  const media = createMediaSource({ uploadDir: missing, allowPrivate: false, timeoutMs: 20_000, addressPolicy: onlyTestPublicServer });
  const error = await media.obtain({ url: `${server.origin}/photo.png` }, image).catch((e: unknown) => e);
  expect(error).not.toBeInstanceOf(AppError);
  expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
});

describe('redirects', () => {
  test('three are followed', async () => {
    const media = await fetched(`${server.origin}/hops/3`);
    expect(server.requests).toEqual(['/hops/3', '/hops/2', '/hops/1', '/hops/0']);
    expect(media.originalName).toBe('0.png');
  });

  test('a fourth is not', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/hops/4` }, image));
    expect(error.message).toBe('Could not fetch media: more than 3 redirects');
    expect(server.requests).toEqual(['/hops/4', '/hops/3', '/hops/2', '/hops/1']);
  });

  test('a redirect loop ends at the limit', async () => {
    await failure(source().obtain({ url: `${server.origin}/loop` }, image));
    expect(server.requests).toHaveLength(4);
  });
});

describe('the time limit', () => {
  test('a server that never answers', async () => {
    const error = await failure(source(300).obtain({ url: `${server.origin}/stall` }, image));
    expect(error).toMatchObject({ status: 400, code: 'MEDIA_FETCH_FAILED', message: 'Could not fetch media: timed out after 0.3 s' });
    await hungUp.at(-1);
  });

  test('a server that stops in the middle of the body: the partial file is removed', async () => {
    const error = await failure(source(300).obtain({ url: `${server.origin}/stall-body.png` }, image));
    expect(error.message).toBe('Could not fetch media: timed out after 0.3 s');
    await hungUp.at(-1);
  });
});

describe('the size limit', () => {
  test('a body that never ends is cut off at the limit: 413, the connection dropped, no file left', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/endless.png` }, image));
    expect(error).toMatchObject({
      status: 413,
      code: 'FILE_TOO_LARGE',
      message: 'File too large. Maximum size for images is 256KB',
      extra: { max_size: '256KB' },
    });
    // The server's stream ends because the gateway hung up; what it managed to send is bounded by
    // the limit plus what the kernel's socket buffers took in, not by the server's patience.
    const sent = await hungUp.at(-1)!;
    expect(sent).toBeGreaterThan(LIMIT);
    expect(sent).toBeLessThan(LIMIT + 32 * 1024 * 1024);
  });

  test('a Content-Length over the limit is refused before a byte of the body is read', async () => {
    const error = await failure(source().obtain({ url: `${server.origin}/declared-too-big.png` }, image));
    expect(error).toMatchObject({ status: 413, code: 'FILE_TOO_LARGE' });
    await hungUp.at(-1);
  });

  test('a body of exactly the limit is accepted', async () => {
    const media = await fetched(`${server.origin}/at-limit.png`);
    expect(media.size).toBe(LIMIT);
    rmSync(media.path);
  });
});
