import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createMediaPreparer, type MediaPreparer } from '../../src/media/index.js';
import { animatedImage, filesIn, makeTempDir, readBytes, removeDir, rgbaImage, writeRandomBytes } from './fixtures.js';

let inputs: string;
let tempDir: string;
let preparer: MediaPreparer;

beforeAll(async () => {
  inputs = makeTempDir('sticker-in');
  tempDir = makeTempDir('sticker-tmp');
  await Promise.all([
    rgbaImage(300, 150).webp().toFile(join(inputs, 'wide.webp')),
    rgbaImage(800, 1000).flatten({ background: '#fff' }).webp({ quality: 95 }).toFile(join(inputs, 'big-opaque.webp')),
    rgbaImage(512, 512).webp({ quality: 50 }).toFile(join(inputs, 'ready.webp')),
    animatedImage(join(inputs, 'wave.webp'), 200, 300, 8, 'webp'),
    writeRandomBytes(join(inputs, 'corrupt.webp'), 4096),
  ]);
  preparer = createMediaPreparer({ tempDir });
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

describe('stickers: 512×512 WebP with transparent padding, within WhatsApp limits', () => {
  test.each([
    ['wide.webp', false, 100 * 1024],
    ['big-opaque.webp', false, 100 * 1024],
    ['wave.webp', true, 500 * 1024],
  ])('%s → 512×512 WebP with alpha (animated: %s), at most %i bytes', async (name, animated, limit) => {
    const prepared = await preparer.prepare({ kind: 'sticker', path: join(inputs, name), originalName: name });
    const { media } = prepared;
    expect(media).toMatchObject({ kind: 'sticker', mimetype: 'image/webp', width: 512, height: 512, isAnimated: animated });
    expect(media.path).not.toBe(join(inputs, name));
    const meta = await sharp(media.path, { animated: true }).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.hasAlpha).toBe(true);
    expect(meta.width).toBe(512);
    expect(meta.pageHeight ?? meta.height).toBe(512);
    expect((meta.pages ?? 1) > 1).toBe(animated);
    if (animated) expect(meta).toMatchObject({ pages: 8, delay: Array(8).fill(100), loop: 0 });
    expect(statSync(media.path).size).toBeLessThanOrEqual(limit);

    // Aspect kept: the padding is transparent, the picture itself opaque.
    const { data, info } = await sharp(media.path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const alphaAt = (x: number, y: number): number => data[(y * info.width + x) * 4 + 3] ?? -1;
    if (name === 'wide.webp') {
      expect(alphaAt(256, 10)).toBe(0); // band above a 2:1 picture
      expect(alphaAt(256, 400)).toBe(0); // band below it
      expect(alphaAt(256, 300)).toBe(255); // the picture's opaque part
    }
    if (name === 'big-opaque.webp') {
      expect(alphaAt(10, 256)).toBe(0); // band left of a 4:5 picture
      expect(alphaAt(256, 256)).toBe(255);
    }
    await prepared.cleanup();
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('a sticker that is already 512×512 and small enough passes through untouched', async () => {
    const path = join(inputs, 'ready.webp');
    const before = createHash('sha256').update(readBytes(path)).digest('hex');
    const prepared = await preparer.prepare({ kind: 'sticker', path, originalName: 'ready.webp' });
    expect(prepared.media).toMatchObject({ kind: 'sticker', path, isAnimated: false });
    await prepared.cleanup();
    expect(createHash('sha256').update(readBytes(path)).digest('hex')).toBe(before);
  });

  test('an animation too noisy to fit 500 KB at any quality is a 413 naming the limit', async () => {
    const frames = 7;
    const noise = randomBytes(512 * 512 * 4 * frames);
    for (let i = 3; i < noise.length; i += 4) noise[i] = 255;
    const path = join(inputs, 'noise.webp');
    await sharp(noise, { raw: { width: 512, height: 512 * frames, channels: 4, pageHeight: 512 } } as never)
      .webp({ quality: 60, delay: Array(frames).fill(50) })
      .toFile(path);
    await expect(preparer.prepare({ kind: 'sticker', path, originalName: 'noise.webp' })).rejects.toMatchObject({
      status: 413,
      code: 'MEDIA_TOO_LARGE',
      message: expect.stringContaining('at most 500KB'),
    });
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('a corrupt WebP is a 400 and leaves no temp files', async () => {
    await expect(preparer.prepare({ kind: 'sticker', path: join(inputs, 'corrupt.webp'), originalName: 'x.webp' })).rejects.toMatchObject({
      status: 400,
      code: 'MEDIA_UNDECODABLE',
    });
    expect(filesIn(tempDir)).toEqual([]);
  });
});
