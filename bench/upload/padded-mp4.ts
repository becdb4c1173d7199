/**
 * The upload benchmark's input: a short phone-playable mp4 padded to an exact size with a
 * top-level `free` box, so the gateway's media step passes it through untouched, checked with
 * ffprobe before it is used.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ffmpeg } from '../ffmpeg.js';

const require = createRequire(import.meta.url);
const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const MiB = 1024 * 1024;

function run(tool: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${tool} exited ${code}: ${err.trim()}`))));
  });
}

/** A 2 s phone-playable mp4 (H.264 Main, yuv420p, AAC, moov first), padded to `bytes` with a free box. */
export async function makePaddedMp4(dir: string, name: string, bytes: number): Promise<string> {
  const path = join(dir, name);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=2:size=640x360:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=2',
    '-c:v',
    'libx264',
    '-profile:v',
    'main',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    '-movflags',
    '+faststart',
    path,
  ]);
  const padding = bytes - statSync(path).size;
  if (padding < 8) throw new Error(`the clip is already ${statSync(path).size} bytes`);
  // A top-level `free` box: 4-byte big-endian size (header included), the type, then zeros.
  const fd = openSync(path, 'a');
  try {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(padding, 0);
    header.write('free', 4, 'latin1');
    writeSync(fd, header);
    const zeros = Buffer.alloc(MiB);
    for (let left = padding - 8; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
  } finally {
    closeSync(fd);
  }
  if (statSync(path).size !== bytes) throw new Error(`${name} is ${statSync(path).size} bytes, expected ${bytes}`);

  const probe = JSON.parse(await run(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path])) as {
    format: { format_name?: string };
    streams: Array<{ codec_type?: string; codec_name?: string; profile?: string; pix_fmt?: string }>;
  };
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  const ok =
    (probe.format.format_name ?? '').split(',').includes('mp4') && video?.codec_name === 'h264' && video.pix_fmt === 'yuv420p' && audio?.codec_name === 'aac';
  if (!ok) throw new Error(`${name} does not probe as h264/aac mp4: ${JSON.stringify({ format: probe.format.format_name, video, audio })}`);
  return path;
}
