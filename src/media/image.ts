/**
 * Images. JPEG and PNG go out as they are, with their dimensions and a thumbnail. Animated GIF
 * and animated WebP go out as WhatsApp itself sends GIFs: a silent H.264 mp4 with `gifPlayback`,
 * which every client loops inline (an image/gif image message shows as a still on phones).
 * Static GIF and WebP become PNG or JPEG, which every client displays.
 */
import type { OutgoingMedia } from '../whatsapp/transport.js';
import type { ConversionContext, ConversionInput } from './context.js';
import { renamedTo } from './context.js';
import { mediaErrors } from './errors.js';
import type { SharpModule } from './sharp-loader.js';
import { imageThumbnail } from './thumbnail.js';
import { describeMp4, encodeMp4, VIDEO_MIMETYPE } from './video.js';
import { displaySize, probeMedia, videoStream } from './probe.js';
import { sharpInputError } from './sharp-errors.js';
import { requireTools } from './voice-note.js';

const PASS_THROUGH_MIMETYPES: Readonly<Record<string, string>> = { jpeg: 'image/jpeg', png: 'image/png' };

export async function prepareImage(ctx: ConversionContext, input: ConversionInput): Promise<OutgoingMedia> {
  const sharp = requireSharp(ctx);
  const refuse = async (error: unknown): Promise<never> => {
    throw await sharpInputError(sharp, 'image', input, error);
  };
  const meta = await readMetadata(sharp, input.path).catch(refuse);
  const animated = (meta.pages ?? 1) > 1;

  if (animated && (meta.format === 'gif' || meta.format === 'webp')) return animatedAsLoopingVideo(ctx, sharp, input, meta.format);

  const caption = input.caption !== undefined ? { caption: input.caption } : {};
  const passThrough = PASS_THROUGH_MIMETYPES[meta.format ?? ''];
  if (passThrough) {
    return {
      kind: 'image',
      path: input.path,
      mimetype: passThrough,
      fileName: renamedTo(input.originalName, input.extension),
      ...orientedSize(meta),
      // Decoding starts here: a header that read fine can still hide corrupt pixel data.
      jpegThumbnail: await imageThumbnail(sharp, input.path, ctx.job.remainingMs() / 1000).catch(refuse),
      ...caption,
    };
  }
  if (meta.format !== 'gif' && meta.format !== 'webp') throw mediaErrors.undecodable('image', input.extension);

  // Transparency survives as PNG; opaque images are smaller as JPEG.
  const asPng = meta.hasAlpha === true;
  const output = ctx.temp.allocate(asPng ? 'png' : 'jpg');
  const image = sharp(input.path, { animated: false })
    .timeout({ seconds: timeoutSeconds(ctx) })
    .rotate();
  const info = await (asPng ? image.png() : image.jpeg({ quality: 90, mozjpeg: true })).toFile(output).catch(refuse);
  ctx.job.signal.throwIfAborted();
  return {
    kind: 'image',
    path: output,
    mimetype: asPng ? 'image/png' : 'image/jpeg',
    fileName: renamedTo(input.originalName, asPng ? 'png' : 'jpg'),
    width: info.width,
    height: info.height,
    jpegThumbnail: await imageThumbnail(sharp, output, ctx.job.remainingMs() / 1000),
    ...caption,
  };
}

async function animatedAsLoopingVideo(ctx: ConversionContext, sharp: SharpModule, input: ConversionInput, format: 'gif' | 'webp'): Promise<OutgoingMedia> {
  const tools = requireTools(ctx);
  let source = input.path;
  if (format === 'webp') {
    // The bundled ffmpeg cannot decode animated WebP; sharp turns it into a GIF first.
    source = ctx.temp.allocate('gif');
    await sharp(input.path, { animated: true })
      .timeout({ seconds: timeoutSeconds(ctx) })
      .gif()
      .toFile(source)
      .catch(async (error: unknown) => {
        throw await sharpInputError(sharp, 'image', input, error);
      });
    ctx.job.signal.throwIfAborted();
  }
  const probe = await probeMedia(tools, source, ctx.job.signal);
  const stream = probe && videoStream(probe);
  // ffmpeg refuses some canvases (a 65535×65535 logical screen): it reports no frame size then.
  if (!probe || !stream || !displaySize(stream)) throw mediaErrors.undecodable('image', input.extension);
  const output = ctx.temp.allocate('mp4');
  await encodeMp4(ctx, { ...input, path: source }, probe, stream, output, { keepAudio: false });
  const converted = await probeMedia(tools, output, ctx.job.signal);
  if (!converted) throw mediaErrors.failed('the converted animation cannot be read back');
  return describeMp4(ctx, output, converted, {
    kind: 'video',
    path: output,
    mimetype: VIDEO_MIMETYPE,
    fileName: renamedTo(input.originalName, 'mp4'),
    gifPlayback: true,
    ...(input.caption !== undefined ? { caption: input.caption } : {}),
  });
}

async function readMetadata(sharp: SharpModule, path: string) {
  const meta = await sharp(path, { animated: true }).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no dimensions');
  return meta;
}

/** Width and height as shown, after the EXIF orientation is applied. */
function orientedSize(meta: { width?: number; height?: number; orientation?: number; pageHeight?: number }): { width?: number; height?: number } {
  if (!meta.width || !meta.height) return {};
  const height = meta.pageHeight ?? meta.height;
  return (meta.orientation ?? 1) >= 5 ? { width: height, height: meta.width } : { width: meta.width, height };
}

export function requireSharp(ctx: ConversionContext): SharpModule {
  if (!ctx.sharp) throw mediaErrors.unavailable('sharp');
  return ctx.sharp;
}

export function timeoutSeconds(ctx: ConversionContext): number {
  return Math.max(1, Math.ceil(ctx.job.remainingMs() / 1000));
}
