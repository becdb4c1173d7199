/**
 * Small files that really decode, one per format the hostile suite sends as "the right file", so
 * generated requests also reach conversion and the (fake) transport, not only the early refusals.
 * Made once per run with sharp and the bundled ffmpeg (well under a second).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const FFMPEG = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** 0.2 s of a 440 Hz tone as 8 kHz mono 16-bit PCM WAV, written out by hand. */
function toneWav(): Buffer {
  const rate = 8000;
  const samples = rate / 5;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export async function makeRealSamples(): Promise<Record<string, Buffer>> {
  const picture = () => sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 200, g: 80, b: 20, alpha: 0.8 } } });
  const dir = await mkdtemp(path.join(tmpdir(), 'wa-hostile-real-'));
  try {
    const mp4 = path.join(dir, 'clip.mp4');
    await promisify(execFile)(FFMPEG, [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10',
      '-t',
      '0.5',
      '-c:v',
      'libx264',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      '-y',
      mp4,
    ]);
    const [png, jpg, webp, gif] = await Promise.all([
      picture().png().toBuffer(),
      picture().flatten().jpeg().toBuffer(),
      picture().webp().toBuffer(),
      picture().gif().toBuffer(),
    ]);
    return { png, jpg, jpeg: jpg, webp, gif, wav: toneWav(), mp4: await readFile(mp4) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
