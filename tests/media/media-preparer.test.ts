import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMediaPreparer, MediaError } from '../../src/media/index.js';
import { childProcessNames, FFPROBE, filesIn, generate, makeTempDir, removeDir, rgbaImage } from './fixtures.js';

let inputs: string;
let tempDir: string;

beforeAll(async () => {
  inputs = makeTempDir('prep-in');
  tempDir = makeTempDir('prep-tmp');
  await generate(inputs, {
    'small.avi': [
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=1:size=320x240:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      '-c:v',
      'mpeg4',
      '-c:a',
      'libmp3lame',
    ],
    // Cheap to make, slow to convert: 10 s of 720p for x264.
    'long.avi': ['-f', 'lavfi', '-i', 'testsrc2=duration=10:size=1280x720:rate=30', '-c:v', 'mpeg4', '-q:v', '5'],
    'tone.wav': ['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'pcm_s16le'],
  });
  await rgbaImage(64, 48).jpeg().toFile(join(inputs, 'photo.jpg'));
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

describe('media preparer', () => {
  test('reports the bundled ffmpeg, ffprobe and sharp as usable', () => {
    expect(createMediaPreparer({ tempDir }).capabilities()).toEqual({ conversion: true, ffmpeg: true, sharp: true });
  });

  test('without ffmpeg: says so, refuses audio and video with 500, still sends images and documents', async () => {
    const preparer = createMediaPreparer({ tempDir, ffmpegPath: join(inputs, 'no-such-ffmpeg') });
    expect(preparer.capabilities()).toEqual({ conversion: false, ffmpeg: false, sharp: true });
    for (const [kind, name] of [
      ['audio', 'tone.wav'],
      ['video', 'small.avi'],
    ] as const) {
      await expect(preparer.prepare({ kind, path: join(inputs, name), originalName: name })).rejects.toMatchObject({
        status: 500,
        code: 'CONVERSION_UNAVAILABLE',
      });
    }
    await expect(preparer.prepare({ kind: 'image', path: join(inputs, 'photo.jpg'), originalName: 'photo.jpg' })).resolves.toMatchObject({
      media: { kind: 'image', width: 64, height: 48 },
    });
    await expect(preparer.prepare({ kind: 'document', path: join(inputs, 'tone.wav'), originalName: 'a.pdf' })).resolves.toMatchObject({
      media: { kind: 'document', mimetype: 'application/pdf' },
    });
  });

  test('an ffprobe that is readable but not executable (mode 0644) is still used', () => {
    const ffprobe = join(inputs, 'ffprobe');
    copyFileSync(FFPROBE, ffprobe);
    chmodSync(ffprobe, 0o644);
    expect(createMediaPreparer({ tempDir, ffprobePath: ffprobe }).capabilities().ffmpeg).toBe(true);
  });

  test('a conversion over its time limit is killed: 504, no process and no temp file left', async () => {
    const preparer = createMediaPreparer({ tempDir, timeoutMs: 400 });
    const started = Date.now();
    const attempt = preparer.prepare({ kind: 'video', path: join(inputs, 'long.avi'), originalName: 'long.avi' });
    await expect(attempt).rejects.toBeInstanceOf(MediaError);
    await expect(attempt).rejects.toMatchObject({ status: 504, code: 'MEDIA_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(childProcessNames()).toEqual([]);
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('never runs more ffmpeg/ffprobe processes than the pool allows', async () => {
    const preparer = createMediaPreparer({ tempDir, concurrency: 2 });
    let peak = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        peak = Math.max(peak, childProcessNames().filter((n) => n === 'ffmpeg' || n === 'ffprobe').length);
        await sleep(2);
      }
    })();
    const prepared = await Promise.all(
      Array.from({ length: 5 }, () => preparer.prepare({ kind: 'video', path: join(inputs, 'small.avi'), originalName: 'small.avi' })),
    );
    watching = false;
    await watcher;
    expect(preparer.stats()).toMatchObject({ concurrency: 2, running: 0, queued: 0, peakRunning: 2 });
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
    expect(new Set(prepared.map((p) => p.media.path)).size).toBe(5);
    await Promise.all(prepared.map((p) => p.cleanup()));
    expect(filesIn(tempDir)).toEqual([]);
  });
});
