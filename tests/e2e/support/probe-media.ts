/**
 * Looks at media bytes the way the recipient's phone would have to: writes what the emulator
 * decrypted to a temp file and reads it with the bundled ffprobe (through src/media's own probe
 * helper), the Ogg Opus header reader, sharp, or the MP4 box layout. Nothing here trusts what the
 * message claims; the tests compare the two.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { detectMediaTools, type MediaTools } from '../../../src/media/ffmpeg.js';
import { readOggOpusInfo, type OggOpusInfo } from '../../../src/media/ogg-opus.js';
import { probeMedia, type ProbeResult } from '../../../src/media/probe.js';

let cachedTools: MediaTools | undefined;

/** The same ffmpeg/ffprobe the gateway converts with (detected once per test file). */
export function mediaTools(): MediaTools {
  if (cachedTools) return cachedTools;
  const status = detectMediaTools();
  if (!status.tools) throw new Error(`bundled ffmpeg/ffprobe unusable: ${status.problem ?? 'unknown'}`);
  cachedTools = status.tools;
  return cachedTools;
}

/** Runs `use` on a temp copy of `bytes` (ffprobe and the Ogg reader read files, not buffers). */
export async function withTempFile<T>(bytes: Buffer, extension: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wa-gateway-e2e-probe-'));
  const file = path.join(dir, `media.${extension}`);
  try {
    await writeFile(file, bytes);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** ffprobe's view of the bytes; throws when ffprobe cannot read them at all. */
export async function probeBytes(bytes: Buffer, extension: string): Promise<ProbeResult> {
  const result = await withTempFile(bytes, extension, (file) => probeMedia(mediaTools(), file));
  if (!result) throw new Error(`ffprobe cannot read the ${bytes.length} bytes as .${extension}`);
  return result;
}

/** The Ogg Opus headers and packet framing (input sample rate, TOC codes, duration). */
export async function oggOpusInfoOf(bytes: Buffer): Promise<OggOpusInfo> {
  const info = await withTempFile(bytes, 'ogg', (file) => readOggOpusInfo(file));
  if (!info) throw new Error('the bytes are not an Ogg Opus stream');
  return info;
}

/** sharp's metadata of an image (pages > 1 for an animation). */
export function imageInfo(bytes: Buffer) {
  return sharp(bytes, { animated: true }).metadata();
}

/** Top-level ISO-BMFF boxes in file order: `ftyp` first, and `moov` before `mdat` for faststart. */
export function mp4TopLevelBoxes(bytes: Buffer): string[] {
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1 && offset + 16 <= bytes.length) size = Number(bytes.readBigUInt64BE(offset + 8));
    else if (size === 0) size = bytes.length - offset;
    if (size < 8) break;
    boxes.push(type);
    offset += size;
  }
  return boxes;
}

/**
 * The `ftyp` major brand. ffprobe names every ISO-BMFF file "mov,mp4,m4a,3gp,3g2,mj2", so the
 * brand is what tells an mp4 from a QuickTime .mov or a .3gp.
 */
export function mp4MajorBrand(bytes: Buffer): string | undefined {
  return bytes.toString('latin1', 4, 8) === 'ftyp' ? bytes.toString('latin1', 8, 12) : undefined;
}
