/**
 * The small JPEG WhatsApp shows, blurred, before the media is downloaded. It travels inside the
 * message itself, so it is kept tiny: at most 100 px on its longer side.
 */
import { FFMPEG_BASE_ARGS, runTool, type MediaTools } from './ffmpeg.js';
import type { SharpModule } from './sharp-loader.js';

export const THUMBNAIL_MAX_SIDE = 100;
const THUMBNAIL_MAX_BYTES = 64 * 1024;

/** From an image file (first frame of an animation), oriented and flattened on white. */
export async function imageThumbnail(sharp: SharpModule, path: string, timeoutSeconds: number): Promise<Buffer> {
  return sharp(path, { animated: false })
    .timeout({ seconds: Math.max(1, Math.ceil(timeoutSeconds)) })
    .rotate()
    .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 60 })
    .toBuffer();
}

/**
 * A frame of a video as JPEG, straight from ffmpeg (no sharp needed). Taken a little way in,
 * because first frames are often black; falls back to the very first frame for short clips.
 */
export async function videoThumbnail(tools: MediaTools, path: string, durationSeconds: number | undefined, signal: AbortSignal): Promise<Buffer | undefined> {
  const offsets = [Math.min(1, (durationSeconds ?? 0) / 3), 0].filter((v, i, all) => all.indexOf(v) === i);
  for (const offset of offsets) {
    const result = await runTool(
      tools.ffmpeg,
      [
        ...FFMPEG_BASE_ARGS,
        '-ss',
        offset.toFixed(3),
        '-i',
        path,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-vf',
        `scale=w=${THUMBNAIL_MAX_SIDE}:h=${THUMBNAIL_MAX_SIDE}:force_original_aspect_ratio=decrease,format=yuvj420p`,
        '-c:v',
        'mjpeg',
        '-q:v',
        '6',
        '-f',
        'image2pipe',
        'pipe:1',
      ],
      { signal, maxStdoutBytes: THUMBNAIL_MAX_BYTES },
    );
    if (result.exitCode === 0 && isJpeg(result.stdout)) return result.stdout;
  }
  return undefined;
}

export function isJpeg(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
}
