/**
 * Conversion against its ceiling: our media pipeline (probe, encode, read back, thumbnail) versus
 * one plain ffmpeg command producing the same codecs at the same settings, on the same inputs,
 * in interleaved rounds. Also two pipeline conversions at once, to see the cores shared fairly.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createMediaPreparer, type PrepareInput } from '../../src/media/index.js';
import { median } from './process-stats.js';

const require = createRequire(import.meta.url);
const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

export function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export interface MediaFigures {
  videoPipelineS: number;
  videoPlainS: number;
  voicePipelineS: number;
  voicePlainS: number;
  /** Medians of the per-round ratios pipeline / plain (the pair of a round ran back to back). */
  videoRatio: number;
  voiceRatio: number;
  /** Two pipeline videos started together: when each finished. */
  concurrentS: [number, number];
}

export async function measureMedia(dir: string, rounds: number): Promise<MediaFigures> {
  const mp3 = join(dir, 'speech-60s.mp3');
  const mkv = join(dir, 'clip-720p-30s.mkv');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:sample_rate=44100:duration=60',
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=duration=60:sample_rate=44100:amplitude=0.3',
    '-filter_complex',
    '[0][1]amix=inputs=2,volume=0.5+0.5*sin(2*PI*t/3):eval=frame,pan=stereo|c0=c0|c1=c0',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    mp3,
  ]);
  // H.264 High with Vorbis in mkv: not what phones are promised, so the pipeline re-encodes it.
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=30:size=1280x720:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=30',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-pix_fmt',
    'yuv420p',
    '-b:v',
    '3M',
    '-c:a',
    'libvorbis',
    mkv,
  ]);

  const preparer = createMediaPreparer({ tempDir: join(dir, 'tmp'), concurrency: 2, timeoutMs: 600_000 });
  const video: PrepareInput = { kind: 'video', path: mkv, originalName: 'clip.mkv' };
  const voice: PrepareInput = { kind: 'audio', path: mp3, originalName: 'speech.mp3' };
  const pipeline = (input: PrepareInput) => async () => (await preparer.prepare(input)).cleanup();
  // The same codecs and settings as the pipeline, ffmpeg choosing its own threads.
  const plainVideo = () =>
    ffmpeg([
      '-i',
      mkv,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-movflags',
      '+faststart',
      join(dir, 'plain.mp4'),
    ]);
  const plainVoice = () => ffmpeg(['-i', mp3, '-ac', '1', '-ar', '16000', '-c:a', 'libopus', '-b:a', '16k', '-application', 'voip', join(dir, 'plain.ogg')]);

  const samples = { videoPipeline: [] as number[], videoPlain: [] as number[], voicePipeline: [] as number[], voicePlain: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first, so neither always runs on a warmer (or busier) machine.
    const pairs: Array<[number[], () => Promise<unknown>]> = [
      [samples.videoPipeline, pipeline(video)],
      [samples.videoPlain, plainVideo],
      [samples.voicePipeline, pipeline(voice)],
      [samples.voicePlain, plainVoice],
    ];
    const order = round % 2 === 0 ? pairs : [pairs[1]!, pairs[0]!, pairs[3]!, pairs[2]!];
    for (const [into, work] of order) into.push(await timed(work));
  }

  const started = process.hrtime.bigint();
  const finished = await Promise.all(
    [0, 1].map(async () => {
      await pipeline(video)();
      return Number(process.hrtime.bigint() - started) / 1e9;
    }),
  );
  return {
    videoPipelineS: median(samples.videoPipeline),
    videoPlainS: median(samples.videoPlain),
    voicePipelineS: median(samples.voicePipeline),
    voicePlainS: median(samples.voicePlain),
    videoRatio: median(samples.videoPipeline.map((t, i) => t / samples.videoPlain[i]!)),
    voiceRatio: median(samples.voicePipeline.map((t, i) => t / samples.voicePlain[i]!)),
    concurrentS: [Math.min(...finished), Math.max(...finished)],
  };
}
