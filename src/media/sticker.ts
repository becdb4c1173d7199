/**
 * Stickers. WhatsApp shows a sticker only if it is a 512×512 WebP within its size limits
 * (100 KB static, 500 KB animated); anything else arrives as a broken sticker. Other sizes are
 * fitted inside 512×512 with transparent padding (aspect kept), animation kept, and the quality
 * stepped down until the file fits.
 */
import { stat } from 'node:fs/promises';
import type { OutgoingMedia } from '../whatsapp/transport.js';
import type { ConversionContext, ConversionInput } from './context.js';
import { renamedTo } from './context.js';
import { mediaErrors } from './errors.js';
import { requireSharp, timeoutSeconds } from './image.js';
import { sharpInputError } from './sharp-errors.js';

export const STICKER_SIZE = 512;
export const STICKER_MAX_BYTES = { static: 100 * 1024, animated: 500 * 1024 } as const;
const QUALITY_STEPS = [80, 60, 40, 20];

export async function prepareSticker(ctx: ConversionContext, input: ConversionInput): Promise<OutgoingMedia> {
  const sharp = requireSharp(ctx);
  const refuse = async (error: unknown): Promise<never> => {
    throw await sharpInputError(sharp, 'sticker', input, error);
  };
  const meta = await sharp(input.path, { animated: true }).metadata().catch(refuse);
  if (meta.format !== 'webp' || !meta.width || !meta.height) throw mediaErrors.undecodable('sticker', input.extension);
  const isAnimated = (meta.pages ?? 1) > 1;
  const limit = isAnimated ? STICKER_MAX_BYTES.animated : STICKER_MAX_BYTES.static;
  const frameHeight = meta.pageHeight ?? meta.height;
  const sticker = (path: string): OutgoingMedia => ({
    kind: 'sticker',
    path,
    mimetype: 'image/webp',
    fileName: renamedTo(input.originalName, 'webp'),
    width: STICKER_SIZE,
    height: STICKER_SIZE,
    isAnimated,
  });

  const { size: inputSize } = await stat(input.path);
  if (meta.width === STICKER_SIZE && frameHeight === STICKER_SIZE && meta.hasAlpha && inputSize <= limit) {
    return sticker(input.path);
  }

  const output = ctx.temp.allocate('webp');
  let size = Infinity;
  for (const quality of QUALITY_STEPS) {
    ({ size } = await sharp(input.path, { animated: isAnimated })
      .timeout({ seconds: timeoutSeconds(ctx) })
      .resize(STICKER_SIZE, STICKER_SIZE, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .ensureAlpha()
      .webp({ quality, alphaQuality: Math.max(quality, 50), effort: 4, ...(isAnimated ? { loop: meta.loop ?? 0 } : {}) })
      .toFile(output)
      .catch(refuse));
    ctx.job.signal.throwIfAborted();
    if (size <= limit) return sticker(output);
  }
  throw mediaErrors.tooLarge(isAnimated ? 'Animated sticker' : 'Sticker', limit, size);
}
