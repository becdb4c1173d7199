import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { createMediaPreparer, type MediaPreparer } from '../../src/media/index.js';
import {
  ffmpeg,
  FFMPEG,
  filesIn,
  generate,
  isJpeg,
  makeTempDir,
  probe,
  readBytes,
  removeDir,
  run,
  streamOf,
  topLevelBoxes,
  VIDEO_FIXTURES,
  writeRandomBytes,
} from './fixtures.js';

let inputs: string;
let tempDir: string;
let preparer: MediaPreparer;

beforeAll(async () => {
  inputs = makeTempDir('video-in');
  tempDir = makeTempDir('video-tmp');
  await generate(inputs, VIDEO_FIXTURES);
  await writeRandomBytes(join(inputs, 'corrupt.mkv'));
  preparer = createMediaPreparer({ tempDir });
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

/** The md5 of every video packet: equal lists mean the stream was copied bit for bit. */
async function videoPacketHashes(path: string): Promise<string[]> {
  const result = await run(FFMPEG, ['-v', 'error', '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'framemd5', 'pipe:1']);
  return result.stdout
    .toString()
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').pop()!.trim());
}

const CONVERTED = Object.keys(VIDEO_FIXTURES).filter((name) => name !== 'clip.mp4');

describe('video: what phones cannot play is converted to H.264/AAC mp4', () => {
  test.each(CONVERTED)('%s → mp4 H.264 baseline/main yuv420p + AAC, faststart, thumbnail and duration', async (name) => {
    const prepared = await preparer.prepare({ kind: 'video', path: join(inputs, name), originalName: name, caption: 'holiday' });
    const { media } = prepared;
    try {
      expect(media).toMatchObject({ kind: 'video', mimetype: 'video/mp4', caption: 'holiday' });
      expect(media.fileName).toBe(name.replace(/\.\w+$/, '.mp4'));
      expect(media.path).not.toBe(join(inputs, name));

      const probed = await probe(media.path);
      expect(probed.format.format_name.split(',')).toContain('mp4');
      const video = streamOf(probed, 'video');
      const audio = streamOf(probed, 'audio');
      expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: media.width, height: media.height });
      expect(['Constrained Baseline', 'Baseline', 'Main']).toContain(video?.profile);
      expect(audio).toMatchObject({ codec_name: 'aac' });
      expect(Math.abs(Number(probed.format.duration) - (media.seconds ?? 0))).toBeLessThan(0.6);
      expect(media.seconds).toBe(2);

      const boxes = topLevelBoxes(readBytes(media.path));
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

      expect(isJpeg(media.jpegThumbnail)).toBe(true);
      const thumb = await sharp(media.jpegThumbnail).metadata();
      expect(thumb.format).toBe('jpeg');
      expect(Math.max(thumb.width ?? 0, thumb.height ?? 0)).toBeLessThanOrEqual(100);
    } finally {
      await prepared.cleanup();
    }
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('mp4 H.264/AAC is passed through untouched, with thumbnail, duration and size', async () => {
    const path = join(inputs, 'clip.mp4');
    const before = createHash('sha256').update(readBytes(path)).digest('hex');
    const prepared = await preparer.prepare({ kind: 'video', path, originalName: 'clip.mp4', caption: 'as is' });
    expect(prepared.media).toMatchObject({ kind: 'video', path, mimetype: 'video/mp4', caption: 'as is', seconds: 2, width: 320, height: 240 });
    expect(isJpeg(prepared.media.jpegThumbnail)).toBe(true);
    await prepared.cleanup();
    expect(createHash('sha256').update(readBytes(path)).digest('hex')).toBe(before);
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('H.264 Main in another container is copied into the mp4, not re-encoded', async () => {
    const input = join(inputs, 'clip-main.mkv');
    const prepared = await preparer.prepare({ kind: 'video', path: input, originalName: 'clip-main.mkv' });
    expect(await videoPacketHashes(prepared.media.path)).toEqual(await videoPacketHashes(input));
    expect(streamOf(await probe(prepared.media.path), 'audio')).toMatchObject({ codec_name: 'aac' });
    await prepared.cleanup();
  });

  test('an over-50 fps clip is brought down to 30 fps; frame size kept when within 1280×720', async () => {
    const prepared = await preparer.prepare({ kind: 'video', path: join(inputs, 'clip.mkv'), originalName: 'clip.mkv' });
    const probed = await probe(prepared.media.path);
    const video = streamOf(probed, 'video') as { avg_frame_rate?: string; width?: number; height?: number };
    expect(video.avg_frame_rate).toBe('30/1');
    expect([video.width, video.height]).toEqual([640, 360]);
    await prepared.cleanup();
  });

  test('a rotated 1080p phone clip comes out upright, shrunk into 720×1280', async () => {
    await generate(inputs, { 'phone-raw.mov': ['-f', 'lavfi', '-i', 'testsrc=duration=1:size=1920x1080:rate=30', '-c:v', 'libx264', '-preset', 'ultrafast'] });
    // The display matrix a phone writes when held upright; ffmpeg only sets it when copying.
    await ffmpeg(['-i', join(inputs, 'phone-raw.mov'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', join(inputs, 'phone.mov')]);
    const prepared = await preparer.prepare({ kind: 'video', path: join(inputs, 'phone.mov'), originalName: 'phone.mov' });
    const video = streamOf(await probe(prepared.media.path), 'video');
    expect([video?.width, video?.height]).toEqual([720, 1280]);
    expect(prepared.media).toMatchObject({ width: 720, height: 1280, seconds: 1 });
    await prepared.cleanup();
  });

  test('a corrupt video is a 400 and leaves no temp files', async () => {
    const attempt = preparer.prepare({ kind: 'video', path: join(inputs, 'corrupt.mkv'), originalName: 'movie.mkv' });
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      code: 'MEDIA_UNDECODABLE',
      message: 'Could not decode video file: the file is corrupt or not really mkv',
    });
    expect(filesIn(tempDir)).toEqual([]);
  });
});
