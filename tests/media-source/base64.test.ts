/** Media sent inline as base64, plain or as a data URL. */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../src/errors/app-error.js';
import { createMediaSource, hasMediaSource, jsonBodyLimitFor } from '../../src/media-source/media-source.js';
import { checkUploadContent } from '../../src/messaging/content-check.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { filesIn, makeUploadDir, removeDir } from './test-servers.js';

const image = DEFAULT_UPLOAD_POLICIES.image;
const png = SAMPLE_FILES.png!;
let uploadDir: string;

beforeEach(() => {
  uploadDir = makeUploadDir();
});

afterEach(() => removeDir(uploadDir));

const source = () => createMediaSource({ uploadDir, allowPrivate: false, timeoutMs: 1000 });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  // Nothing is left behind by a refusal.
  expect(filesIn(uploadDir)).toEqual([]);
  return error as AppError;
}

describe('base64 media', () => {
  test('plain base64 is stored under a random name, byte for byte, and passes the upload content check', async () => {
    const media = await source().obtain({ base64: png.toString('base64'), filename: 'chart.png' }, image);
    expect(path.basename(media.path)).toMatch(/^[0-9a-f]{32}\.png$/);
    expect(path.dirname(media.path)).toBe(uploadDir);
    expect(readFileSync(media.path)).toEqual(png);
    expect(media).toEqual({ path: media.path, originalName: 'chart.png', size: png.length });
    await expect(checkUploadContent('image', 'png', media.path)).resolves.toEqual({ detectedMime: 'image/png' });
  });

  test('a data URL; its type supplies a missing extension', async () => {
    const media = await source().obtain({ base64: `data:image/png;base64,${png.toString('base64')}`, filename: 'chart' }, image);
    expect(media).toMatchObject({ originalName: 'chart.png', size: png.length, declaredType: 'image/png' });
    expect(readFileSync(media.path)).toEqual(png);
  });

  test('line breaks, URL-safe letters and missing padding are accepted', async () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01, 0x02]);
    const wrapped = bytes.toString('base64').replace(/(.{4})/g, '$1\r\n');
    const urlSafe = bytes.toString('base64url');
    for (const base64 of [wrapped, urlSafe]) {
      const media = await source().obtain({ base64, filename: 'notes.txt' }, DEFAULT_UPLOAD_POLICIES.document);
      expect(readFileSync(media.path)).toEqual(bytes);
      expect(media.size).toBe(bytes.length);
      rmSync(media.path);
    }
  });

  test('a file larger than slices of the decoder comes out whole', async () => {
    const big = Buffer.alloc(7 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const media = await source().obtain({ base64: big.toString('base64'), filename: 'big.png' }, { ...image, maxBytes: 8 * 1024 * 1024 });
    expect(readFileSync(media.path).equals(big)).toBe(true);
  });

  test('without filename: 400 naming the field', async () => {
    for (const filename of [undefined, '', '   ', 42, '../']) {
      const error = await failure(source().obtain({ base64: png.toString('base64'), filename }, image));
      expect(error).toMatchObject({ status: 400, code: 'FILENAME_REQUIRED', message: '"filename" required with "base64" (e.g. "photo.jpg")' });
    }
  });

  test('a filename is only a label: directories are dropped', async () => {
    const media = await source().obtain({ base64: png.toString('base64'), filename: '../../etc/cron.d/x.png' }, image);
    expect(media.originalName).toBe('x.png');
    expect(path.dirname(media.path)).toBe(uploadDir);
  });

  test('an extension the kind does not accept is refused before decoding', async () => {
    const error = await failure(source().obtain({ base64: png.toString('base64'), filename: 'x.exe' }, image));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_FILE_TYPE' });
  });

  test.each([
    ['not base64 at all!', 'only A-Z, a-z, 0-9, +, / (or -, _) and = padding are allowed'],
    ['abc=def', 'only A-Z, a-z, 0-9, +, / (or -, _) and = padding are allowed'],
    ['ab+_', 'only A-Z, a-z, 0-9, +, / (or -, _) and = padding are allowed'],
    ['abcde', 'its length is not that of base64 data'],
    ['abc==', 'its length is not that of base64 data'],
    ['   ', 'it is empty'],
    ['data:image/png;base64,', 'it is empty'],
    ['data:image/png,rawbytes', 'a data URL must be base64-encoded (data:<type>;base64,<data>)'],
    ['data:image/png;base64', 'a data URL needs a comma before the data (data:<type>;base64,<data>)'],
  ])('invalid: %j → 400', async (base64, detail) => {
    const error = await failure(source().obtain({ base64, filename: 'a.png' }, image));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_BASE64', message: `Invalid "base64": ${detail}` });
  });

  test('not a string', async () => {
    const error = await failure(source().obtain({ base64: { data: 'x' }, filename: 'a.png' }, image));
    expect(error.message).toBe('Invalid "base64": it must be a string');
  });

  test("over the kind's limit: 413 from the length alone, before anything is decoded or written", async () => {
    const sticker = DEFAULT_UPLOAD_POLICIES.sticker;
    // One byte over 1MB, as base64: 4 * ceil((1MB + 1) / 3) characters.
    const base64 = 'A'.repeat(4 * Math.ceil((sticker.maxBytes + 1) / 3));
    const error = await failure(source().obtain({ base64, filename: 's.webp' }, sticker));
    expect(error).toMatchObject({ status: 413, code: 'FILE_TOO_LARGE', message: 'File too large. Maximum size for stickers is 1MB' });
    const exactly = await source().obtain({ base64: Buffer.alloc(sticker.maxBytes).toString('base64'), filename: 's.webp' }, sticker);
    expect(exactly.size).toBe(sticker.maxBytes);
  });
});

describe('choosing the source', () => {
  test('url and base64 together are refused', async () => {
    const error = await failure(source().obtain({ url: 'http://127.0.0.2/a.png', base64: 'AAAA', filename: 'a.png' }, image));
    expect(error).toMatchObject({ status: 400, code: 'MEDIA_SOURCE_CONFLICT' });
  });

  test('neither: File required, as for a request without a file', async () => {
    const error = await failure(source().obtain({ filename: 'a.png' }, image));
    expect(error).toMatchObject({ status: 400, code: 'FILE_REQUIRED', message: 'File required' });
  });

  test('a url that is not a string', async () => {
    const error = await failure(source().obtain({ url: ['http://x'] }, image));
    expect(error.message).toBe('Could not fetch media: "url" must be an http or https URL');
  });

  test('jsonBodyLimitFor leaves room for a full-size file as MIME-wrapped base64 in a data URL', () => {
    for (const policy of Object.values(DEFAULT_UPLOAD_POLICIES)) {
      const encoded = 4 * Math.ceil(policy.maxBytes / 3);
      // 76-character lines, each ending in CRLF, which JSON writes as the four characters \r\n.
      const wrapped = encoded + Math.ceil(encoded / 76) * 4;
      const body =
        JSON.stringify({ phone: '6281234567890', caption: 'x'.repeat(1024), filename: 'a.bin', base64: '' }).length +
        'data:application/octet-stream;base64,'.length +
        wrapped;
      expect(jsonBodyLimitFor(policy)).toBeGreaterThanOrEqual(body);
      expect(jsonBodyLimitFor(policy)).toBeLessThan(policy.maxBytes * 1.5);
    }
  });

  test('hasMediaSource tells a JSON media body from one without', () => {
    expect(hasMediaSource({ url: 'http://x/a.png' })).toBe(true);
    expect(hasMediaSource({ base64: 'AAAA', filename: 'a.png' })).toBe(true);
    expect(hasMediaSource({ phone: '62812', caption: 'hi' })).toBe(false);
    expect(hasMediaSource({ url: '' })).toBe(false);
    expect(hasMediaSource(undefined)).toBe(false);
  });
});
