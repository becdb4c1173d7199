/**
 * Test fixtures for media conversion, generated at test time with the bundled ffmpeg and sharp
 * (1-3 s, a few KB each) so no binary files live in the repo.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { repacketizeOggOpus } from '../../src/media/opus-repacketize.js';

const require = createRequire(import.meta.url);
export const FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `wa-media-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function run(binary: string, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

export async function ffmpeg(args: string[]): Promise<void> {
  const result = await run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr}`);
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

export interface Probed {
  format: { format_name: string; duration: string };
  streams: ProbedStream[];
}

/** ffprobe of the bytes, independent of anything the module under test says. */
export async function probe(path: string): Promise<Probed> {
  const result = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path]);
  if (result.code !== 0) throw new Error(`ffprobe failed: ${result.stderr}`);
  return JSON.parse(result.stdout.toString()) as Probed;
}

export function streamOf(probed: Probed, type: 'audio' | 'video'): ProbedStream | undefined {
  return probed.streams.find((s) => s.codec_type === type);
}

const SINE = (seconds: number, channels = 2): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
  ...(channels === 2 ? ['-af', 'pan=stereo|c0=c0|c1=c0'] : []),
];

export const AUDIO_FIXTURES: Record<string, string[]> = {
  'tone.mp3': [...SINE(2), '-c:a', 'libmp3lame', '-b:a', '64k'],
  'tone.wav': [...SINE(2), '-c:a', 'pcm_s16le'],
  'tone-vorbis.ogg': [...SINE(2), '-c:a', 'libvorbis', '-q:a', '2'],
  'tone-opus-48k.ogg': [...SINE(2), '-c:a', 'libopus', '-b:a', '48k'],
  'tone.m4a': [...SINE(2), '-c:a', 'aac', '-b:a', '64k', '-f', 'ipod'],
  'tone.aac': [...SINE(2), '-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
  'tone.flac': [...SINE(2), '-c:a', 'flac'],
};

const TESTSRC = (seconds: number, size = '320x240', rate = 25): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc=duration=${seconds}:size=${size}:rate=${rate}`,
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
  '-shortest',
];

export const VIDEO_FIXTURES: Record<string, string[]> = {
  'clip.mp4': [...TESTSRC(2), '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart'],
  'clip-mpeg4.mp4': [...TESTSRC(2), '-c:v', 'mpeg4', '-c:a', 'aac'],
  'clip.avi': [...TESTSRC(2), '-c:v', 'mpeg4', '-c:a', 'libmp3lame'],
  'clip.mov': [...TESTSRC(2), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', '-c:a', 'aac'],
  'clip.mkv': [...TESTSRC(2, '640x360', 50), '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'libvorbis'],
  'clip-main.mkv': [...TESTSRC(2), '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-c:a', 'libvorbis'],
  'clip.webm': [...TESTSRC(2), '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-c:a', 'libvorbis'],
  'clip.3gp': [...TESTSRC(2, '176x144', 15), '-c:v', 'h263', '-c:a', 'aac', '-ac', '1', '-ar', '22050'],
  'clip.flv': [...TESTSRC(2), '-c:v', 'flv', '-c:a', 'libmp3lame', '-ar', '22050'],
};

/** Generates the named fixtures into `dir`, a few at a time. */
export async function generate(dir: string, fixtures: Record<string, string[]>): Promise<void> {
  const entries = Object.entries(fixtures);
  for (let i = 0; i < entries.length; i += 3) {
    await Promise.all(entries.slice(i, i + 3).map(([name, args]) => ffmpeg([...args, join(dir, name)])));
  }
}

/** An Ogg Opus file as WhatsApp records it: 16 kHz mono SILK, 3 frames a packet. */
export async function makeWhatsAppVoiceNote(dir: string, name: string): Promise<string> {
  const raw = join(dir, `raw-${name}`);
  await ffmpeg([...SINE(3, 1), '-ac', '1', '-ar', '16000', '-c:a', 'libopus', '-b:a', '16k', '-application', 'voip', '-f', 'ogg', raw]);
  const path = join(dir, name);
  await repacketizeOggOpus(raw, path);
  rmSync(raw);
  return path;
}

export async function writeRandomBytes(path: string, size = 16 * 1024): Promise<string> {
  await writeFile(path, randomBytes(size));
  return path;
}

/** A colourful RGBA test image: a gradient with a transparent band. */
export function rgbaImage(width: number, height: number): Sharp {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128;
      data[i + 3] = y < height / 4 ? 0 : 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } });
}

/** An animated image of `frames` frames, as GIF or WebP. */
export async function animatedImage(
  path: string,
  width: number,
  height: number,
  frames: number,
  format: 'gif' | 'webp',
  delaysMs: number[] = Array(frames).fill(100),
): Promise<string> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, n) =>
      rgbaImage(width, height)
        .modulate({ hue: n * 40 })
        .raw()
        .toBuffer(),
    ),
  );
  const stacked = sharp(Buffer.concat(pages), { raw: { width, height: height * frames, channels: 4, pageHeight: height } } as never);
  const out = format === 'gif' ? stacked.gif({ delay: delaysMs, loop: 0 }) : stacked.webp({ delay: delaysMs, loop: 0 });
  await out.toFile(path);
  return path;
}

export function readBytes(path: string): Buffer {
  return readFileSync(path);
}

export function filesIn(dir: string): string[] {
  return readdirSync(dir);
}

/** Names of this process's child processes right now (ffmpeg, ffprobe...), from /proc. */
export function childProcessNames(): string[] {
  const names: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) names.push(readlinkSync(`/proc/${entry}/exe`).split('/').pop() ?? '');
    } catch {
      // the process ended while we looked
    }
  }
  return names;
}

/** Top-level MP4 boxes in order: faststart puts `moov` before `mdat`. */
export function topLevelBoxes(bytes: Buffer): string[] {
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size < 8) break;
    boxes.push(type);
    offset += size;
  }
  return boxes;
}

export function isJpeg(bytes: Buffer | undefined): boolean {
  return !!bytes && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
}
