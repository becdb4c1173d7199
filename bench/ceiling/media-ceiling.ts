/**
 * Conversion against its ceiling: our media pipeline (probe, encode, read back, thumbnail) versus
 * one plain ffmpeg command producing the same codecs at the same settings, on the same inputs,
 * in interleaved rounds. Also two pipeline conversions at once, to see the cores shared fairly.
 */
import { join } from 'node:path';
import { createMediaPreparer, type PrepareInput } from '../../src/media/index.js';
import { ffmpeg, makeClip720p, makeSpeechMp3 } from '../ffmpeg.js';
import { median } from './process-stats.js';

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
  await makeSpeechMp3(mp3);
  await makeClip720p(mkv, 'high');

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
