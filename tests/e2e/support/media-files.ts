/**
 * Small but real, decodable media for the end-to-end sends: a PNG and a WebP from sharp, a
 * hand-written PDF, and half a second of mp3 and mp4 from the bundled ffmpeg. Real files (not
 * magic-number stubs) so the same fixtures keep working once uploads are converted before sending.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);
// The installer package is CommonJS without types; its `path` is the bundled static ffmpeg.
const FFMPEG = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

export interface MediaFiles {
  png: Buffer;
  webp: Buffer;
  pdf: Buffer;
  mp3: Buffer;
  mp4: Buffer;
}

/** A one-page PDF with a correct xref table, written by hand (no PDF library in the project). */
export function tinyPdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 44 >>\nstream\nBT /F1 18 Tf 20 40 Td (Invoice 42) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export async function createMediaFiles(dir: string): Promise<MediaFiles> {
  const mp3Path = path.join(dir, 'tone.mp3');
  const mp4Path = path.join(dir, 'clip.mp4');
  const quiet = ['-hide_banner', '-loglevel', 'error', '-y'];
  const [png, webp] = await Promise.all([
    sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .png()
      .toBuffer(),
    sharp({ create: { width: 512, height: 512, channels: 4, background: { r: 30, g: 120, b: 200, alpha: 0.8 } } })
      .webp()
      .toBuffer(),
    run(FFMPEG, [...quiet, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5', '-c:a', 'libmp3lame', '-b:a', '64k', mp3Path]),
    run(FFMPEG, [
      ...quiet,
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x64:rate=10:duration=0.5',
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      mp4Path,
    ]),
  ]);
  return { png, webp, pdf: tinyPdf(), mp3: await readFile(mp3Path), mp4: await readFile(mp4Path) };
}
