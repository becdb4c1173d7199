/**
 * Decides what a failed sharp call on the client's file means. Its own time limit is left for the
 * pool to report; an image over libvips' pixel limit is a valid file that is too large, and the
 * client is told so with the limit; anything else means the bytes could not be decoded.
 */
import { mediaErrors } from './errors.js';
import type { SharpModule } from './sharp-loader.js';

/** sharp's default `limitInputPixels` (0x3FFF × 0x3FFF), which guards memory on a small VPS. */
export const SHARP_PIXEL_LIMIT = 0x3fff ** 2;

export async function sharpInputError(
  sharp: SharpModule,
  kind: 'image' | 'sticker',
  input: { path: string; extension: string },
  error: unknown,
): Promise<unknown> {
  const message = error instanceof Error ? error.message : '';
  if (/^timeout/i.test(message)) return error;
  if (/pixel limit/i.test(message)) {
    // Only the header is read: the dimensions for the message, not the pixels.
    const meta = await sharp(input.path, { limitInputPixels: false })
      .metadata()
      .catch(() => undefined);
    return mediaErrors.tooManyPixels(kind, SHARP_PIXEL_LIMIT, meta?.width, meta?.pageHeight ?? meta?.height);
  }
  return mediaErrors.undecodable(kind, input.extension, error);
}
