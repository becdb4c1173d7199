import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import sharp from 'sharp';
import { createMediaPreparer, type MediaPreparer } from '../../src/media/index.js';
import { animatedImage, FFPROBE, filesIn, isJpeg, makeTempDir, probe, removeDir, rgbaImage, run, streamOf, writeRandomBytes } from './fixtures.js';

let inputs: string;
let tempDir: string;
let preparer: MediaPreparer;

beforeAll(async () => {
  inputs = makeTempDir('image-in');
  tempDir = makeTempDir('image-tmp');
  await Promise.all([
    rgbaImage(400, 300).flatten({ background: '#000' }).jpeg().toFile(join(inputs, 'photo.jpg')),
    // A phone photo stored sideways with EXIF orientation 6: shown 300 wide, 400 high.
    rgbaImage(400, 300).flatten({ background: '#000' }).jpeg().withMetadata({ orientation: 6 }).toFile(join(inputs, 'sideways.jpeg')),
    rgbaImage(320, 200).png().toFile(join(inputs, 'logo.png')),
    rgbaImage(200, 200).gif().toFile(join(inputs, 'still.gif')),
    rgbaImage(300, 150).webp().toFile(join(inputs, 'alpha.webp')),
    rgbaImage(300, 150).flatten({ background: '#fff' }).webp().toFile(join(inputs, 'opaque.webp')),
    animatedImage(join(inputs, 'dance.gif'), 160, 120, 6, 'gif'),
    animatedImage(join(inputs, 'dance.webp'), 160, 120, 6, 'webp'),
    animatedImage(join(inputs, 'uneven.gif'), 160, 120, 6, 'gif', [20, 2000, 30, 50, 1000, 10]),
    writeRandomBytes(join(inputs, 'corrupt.png')),
  ]);
  preparer = createMediaPreparer({ tempDir });
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

async function expectJpegThumbnail(thumbnail: Buffer | undefined): Promise<void> {
  expect(isJpeg(thumbnail)).toBe(true);
  const meta = await sharp(thumbnail).metadata();
  expect(meta.format).toBe('jpeg');
  expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(100);
}

describe('images: thumbnail and dimensions; GIFs as looping video', () => {
  test.each([
    ['photo.jpg', 'image/jpeg', 400, 300],
    ['sideways.jpeg', 'image/jpeg', 300, 400],
    ['logo.png', 'image/png', 320, 200],
  ])('%s passes through with %s, %i×%i and a JPEG thumbnail', async (name, mimetype, width, height) => {
    const path = join(inputs, name);
    const prepared = await preparer.prepare({ kind: 'image', path, originalName: name, caption: 'look' });
    expect(prepared.media).toMatchObject({ kind: 'image', path, mimetype, width, height, caption: 'look', fileName: name });
    await expectJpegThumbnail(prepared.media.jpegThumbnail);
    await prepared.cleanup();
    expect(filesIn(tempDir)).toEqual([]);
  });

  test.each([
    ['still.gif', 'image/png', 'png'],
    ['alpha.webp', 'image/png', 'png'],
    ['opaque.webp', 'image/jpeg', 'jpeg'],
  ])('static %s becomes %s, which every client displays', async (name, mimetype, format) => {
    const prepared = await preparer.prepare({ kind: 'image', path: join(inputs, name), originalName: name });
    const meta = await sharp(prepared.media.path).metadata();
    expect(meta.format).toBe(format);
    expect(prepared.media).toMatchObject({ kind: 'image', mimetype, width: meta.width, height: meta.height });
    await expectJpegThumbnail(prepared.media.jpegThumbnail);
    await prepared.cleanup();
    expect(filesIn(tempDir)).toEqual([]);
  });

  test.each(['dance.gif', 'dance.webp'])('animated %s goes out as a silent looping H.264 video (gifPlayback)', async (name) => {
    const prepared = await preparer.prepare({ kind: 'image', path: join(inputs, name), originalName: name, caption: 'party' });
    const { media } = prepared;
    expect(media).toMatchObject({ kind: 'video', mimetype: 'video/mp4', gifPlayback: true, caption: 'party', width: 160, height: 120 });
    expect(media.fileName).toBe(name.replace(/\.\w+$/, '.mp4'));
    const probed = await probe(media.path);
    expect(probed.format.format_name.split(',')).toContain('mp4');
    expect(streamOf(probed, 'video')).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 160, height: 120 });
    expect(streamOf(probed, 'audio')).toBeUndefined();
    expect(Math.abs(Number(probed.format.duration) - (media.seconds ?? 0))).toBeLessThan(0.6);
    await expectJpegThumbnail(media.jpegThumbnail);
    await prepared.cleanup();
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('a GIF with uneven frame delays keeps its timing and is not inflated past 30 fps', async () => {
    const prepared = await preparer.prepare({ kind: 'image', path: join(inputs, 'uneven.gif'), originalName: 'uneven.gif' });
    const result = await run(FFPROBE, [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=nb_read_frames,avg_frame_rate:format=duration',
      '-of',
      'json',
      prepared.media.path,
    ]);
    const info = JSON.parse(result.stdout.toString()) as { streams: [{ nb_read_frames: string; avg_frame_rate: string }]; format: { duration: string } };
    expect(Number(info.format.duration)).toBeCloseTo(3.11, 0);
    expect(Number(info.streams[0].nb_read_frames)).toBeLessThanOrEqual(Math.ceil(30 * Number(info.format.duration)) + 1);
    expect(prepared.media.seconds).toBe(3);
    await prepared.cleanup();
  });

  test('a corrupt image is a 400 and leaves no temp files', async () => {
    await expect(preparer.prepare({ kind: 'image', path: join(inputs, 'corrupt.png'), originalName: 'cat.png' })).rejects.toMatchObject({
      status: 400,
      code: 'MEDIA_UNDECODABLE',
      message: 'Could not decode image file: the file is corrupt or not really png',
    });
    expect(filesIn(tempDir)).toEqual([]);
  });
});
