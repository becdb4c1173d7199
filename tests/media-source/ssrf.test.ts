/**
 * SSRF: a server on 127.0.0.1 plays the gateway's private network. It counts every TCP connection,
 * and must see none unless MEDIA_URL_ALLOW_PRIVATE is on: not by literal address in any numeric
 * spelling, not through a DNS name, not after a redirect, not through a name that changes its answer.
 * A server on 127.0.0.2 plays the public internet (the injected policy allows only that address);
 * the production policy is exercised directly where no public server is needed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AppError } from '../../src/errors/app-error.js';
import { createMediaSource, type MediaSourceOptions } from '../../src/media-source/media-source.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { filesIn, fixedResolver, makeUploadDir, onlyTestPublicServer, removeDir, startServer, type Handler, type TestServer } from './test-servers.js';

const image = DEFAULT_UPLOAD_POLICIES.image;
const servePng: Handler = (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(SAMPLE_FILES.png);

let privateServer: TestServer;
let publicServer: TestServer;
let uploadDir: string;
let queries: string[];
let flips = 0;

/** Both servers on one port number, so a name that flips between them is a true DNS rebinding. */
async function startPair(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    privateServer = await startServer('127.0.0.1');
    try {
      publicServer = await startServer('127.0.0.2', privateServer.port);
      return;
    } catch (error) {
      await privateServer.close();
      if (attempt > 5) throw error;
    }
  }
}

beforeAll(async () => {
  await startPair();
  for (const server of [privateServer, publicServer]) server.handle('/image.png', servePng);
  publicServer.handle('/to-private-literal', (_req, res) => void res.writeHead(302, { location: `http://127.0.0.1:${privateServer.port}/image.png` }).end());
  publicServer.handle('/to-private-decimal', (_req, res) => void res.writeHead(301, { location: `http://2130706433:${privateServer.port}/image.png` }).end());
  publicServer.handle('/to-private-name', (_req, res) => void res.writeHead(307, { location: `http://private.test:${privateServer.port}/image.png` }).end());
  publicServer.handle('/to-localhost', (_req, res) => void res.writeHead(308, { location: `http://localhost:${privateServer.port}/image.png` }).end());
  publicServer.handle('/to-public', (_req, res) => void res.writeHead(302, { location: '/image.png' }).end());
});

afterAll(async () => {
  await Promise.all([privateServer.close(), publicServer.close()]);
});

beforeEach(() => {
  uploadDir = makeUploadDir();
  queries = [];
  privateServer.connections = 0;
  publicServer.connections = 0;
});

afterEach(() => {
  // Every refusal leaves the upload folder as it found it.
  expect(filesIn(uploadDir)).toEqual([]);
  removeDir(uploadDir);
});

/** The test world: 127.0.0.2 is "public", names come from a fixed DNS. */
function testSource(overrides: Partial<MediaSourceOptions> = {}) {
  return createMediaSource({
    uploadDir,
    allowPrivate: false,
    timeoutMs: 20_000,
    addressPolicy: onlyTestPublicServer,
    resolver: fixedResolver(
      {
        'public.test': ['127.0.0.2'],
        'private.test': ['127.0.0.1'],
        'mixed.test': ['127.0.0.2', '127.0.0.1'],
        // A rebinding DNS: public on every odd query, private on every even one.
        'flip.test': () => (flips++ % 2 === 0 ? ['127.0.0.2'] : ['127.0.0.1']),
      },
      queries,
    ),
    ...overrides,
  });
}

/** The production defaults: real policy, system resolver. */
const productionSource = (allowPrivate = false) => createMediaSource({ uploadDir, allowPrivate, timeoutMs: 20_000 });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.status).toBe(400);
  expect(appError.code).toBe('MEDIA_FETCH_FAILED');
  expect(appError.message).toMatch(/^Could not fetch media: /);
  return appError;
}

const NUMERIC_FORMS = (port: number) => [
  `http://127.0.0.1:${port}/image.png`,
  `http://2130706433:${port}/image.png`,
  `http://0x7f000001:${port}/image.png`,
  `http://0x7f.1:${port}/image.png`,
  `http://127.1:${port}/image.png`,
  `http://0177.0.0.1:${port}/image.png`,
  `http://017700000001:${port}/image.png`,
  `http://0:${port}/image.png`,
  `http://0.0.0.0:${port}/image.png`,
  `http://[::ffff:127.0.0.1]:${port}/image.png`,
  `http://[::ffff:7f00:1]:${port}/image.png`,
  `http://[::1]:${port}/image.png`,
  `http://[::]:${port}/image.png`,
];

describe('addresses written as numbers', () => {
  test('every spelling of a loopback address is refused by the production policy, without connecting', async () => {
    for (const url of NUMERIC_FORMS(privateServer.port)) {
      const error = await refusal(productionSource().obtain({ url }, image));
      expect(error.message).toContain('not allowed');
    }
    expect(privateServer.connections).toBe(0);
  });

  test('and by the injected test policy', async () => {
    for (const url of NUMERIC_FORMS(privateServer.port)) await refusal(testSource().obtain({ url }, image));
    expect(privateServer.connections).toBe(0);
  });

  test('the metadata address and private ranges are refused before any connection is tried', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://10.0.0.1/',
      'http://192.168.0.1/',
      'http://100.100.100.200/',
    ]) {
      const error = await refusal(productionSource().obtain({ url, filename: 'x.png' }, image));
      expect(error.message).toBe('Could not fetch media: the address is not allowed (private or local network)');
    }
  });
});

describe('names that resolve to a private address', () => {
  test('localhost, through the production policy and the system resolver', async () => {
    const error = await refusal(productionSource().obtain({ url: `http://localhost:${privateServer.port}/image.png` }, image));
    expect(error.message).toBe('Could not fetch media: localhost resolves to an address that is not allowed (private or local network)');
    expect(privateServer.connections).toBe(0);
  });

  test('a name whose only address is private', async () => {
    await refusal(testSource().obtain({ url: `http://private.test:${privateServer.port}/image.png` }, image));
    expect(queries).toEqual(['private.test']);
    expect(privateServer.connections).toBe(0);
  });

  test('a name with a public and a private address is refused as a whole', async () => {
    await refusal(testSource().obtain({ url: `http://mixed.test:${publicServer.port}/image.png` }, image));
    expect(privateServer.connections).toBe(0);
    expect(publicServer.connections).toBe(0);
  });

  test('a rebinding name: each connection goes to the address checked for it, so the private answer is never used', async () => {
    flips = 0;
    const url = `http://flip.test:${publicServer.port}/image.png`;
    const first = await testSource().obtain({ url }, image);
    expect(publicServer.connections).toBe(1);
    // One resolution per connection: no second lookup that could answer differently after the check.
    expect(queries).toEqual(['flip.test']);
    await refusal(testSource().obtain({ url }, image));
    expect(queries).toEqual(['flip.test', 'flip.test']);
    expect(privateServer.connections).toBe(0);
    removeDir(first.path);
  });

  test('cloud metadata names are refused by name, before any DNS query', async () => {
    for (const host of ['metadata.google.internal', 'metadata', 'instance-data']) {
      const error = await refusal(testSource().obtain({ url: `http://${host}/computeMetadata/v1/`, filename: 'a.png' }, image));
      expect(error.message).toBe('Could not fetch media: the address is not allowed (cloud metadata service)');
    }
    expect(queries).toEqual([]);
  });
});

describe('redirects', () => {
  test.each([
    ['/to-private-literal', 'to a private IP literal'],
    ['/to-private-decimal', 'to a decimal-encoded loopback address'],
    ['/to-private-name', 'to a name that resolves privately'],
  ])('%s (%s) is refused at the hop, and the private server never sees a connection', async (path) => {
    await refusal(testSource().obtain({ url: `${publicServer.origin}${path}` }, image));
    expect(publicServer.requests.at(-1)).toBe(path);
    expect(privateServer.connections).toBe(0);
  });

  test('to localhost, resolved by the system resolver at the hop', async () => {
    // The system resolver (no injected DNS): the hop's name is resolved for real and refused.
    const source = createMediaSource({ uploadDir, allowPrivate: false, timeoutMs: 20_000, addressPolicy: onlyTestPublicServer });
    const error = await refusal(source.obtain({ url: `${publicServer.origin}/to-localhost` }, image));
    expect(error.message).toContain('localhost resolves to an address that is not allowed');
    expect(privateServer.connections).toBe(0);
  });

  test('a redirect that stays public is followed (the control case)', async () => {
    const media = await testSource().obtain({ url: `${publicServer.origin}/to-public` }, image);
    expect(media.originalName).toBe('image.png');
    removeDir(media.path);
  });
});

describe('URLs refused before connecting', () => {
  test.each([
    `ftp://127.0.0.2/image.png`,
    'file:///etc/passwd',
    'gopher://127.0.0.2:70/_x',
    'data:image/png;base64,iVBORw0KGgo=',
    'not a url',
    '//127.0.0.2/image.png',
  ])('%s', async (url) => {
    await refusal(testSource().obtain({ url, filename: 'a.png' }, image));
    expect(publicServer.connections).toBe(0);
  });

  test('credentials in the URL', async () => {
    const error = await refusal(testSource().obtain({ url: `http://user:secret@127.0.0.2:${publicServer.port}/image.png` }, image));
    expect(error.message).toBe('Could not fetch media: URLs with credentials (user:password@) are not accepted');
    expect(publicServer.connections).toBe(0);
  });

  test('credentials in a redirect location', async () => {
    publicServer.handle(
      '/to-credentials',
      (_req, res) => void res.writeHead(302, { location: `http://admin:x@127.0.0.2:${publicServer.port}/image.png` }).end(),
    );
    await refusal(testSource().obtain({ url: `${publicServer.origin}/to-credentials` }, image));
    expect(publicServer.connections).toBe(1);
  });
});

describe('MEDIA_URL_ALLOW_PRIVATE=true', () => {
  test('fetches from loopback, by address and by name, through the production defaults', async () => {
    for (const url of [
      `${privateServer.origin}/image.png`,
      `http://localhost:${privateServer.port}/image.png`,
      `http://2130706433:${privateServer.port}/image.png`,
    ]) {
      const media = await productionSource(true).obtain({ url }, image);
      expect(media.size).toBe(SAMPLE_FILES.png!.length);
      removeDir(media.path);
    }
    expect(privateServer.connections).toBeGreaterThanOrEqual(2);
  });

  test('follows a redirect into the private network', async () => {
    const media = await productionSource(true).obtain({ url: `${publicServer.origin}/to-private-literal` }, image);
    expect(privateServer.connections).toBe(1);
    removeDir(media.path);
  });
});
