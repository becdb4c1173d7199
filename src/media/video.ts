/**
 * Videos. An mp4 that phones already play (H.264 8-bit 4:2:0, AAC or silent) goes out untouched;
 * everything else is re-encoded to the profile every WhatsApp client decodes in hardware:
 * H.264 Main, level 3.1 (so at most 1280×720 at 30 fps), yuv420p, AAC-LC, moov atom first.
 */
import { stat } from 'node:fs/promises';
import type { OutgoingMedia } from '../whatsapp/transport.js';
import type { ConversionContext, ConversionInput } from './context.js';
import { renamedTo } from './context.js';
import { mediaErrors } from './errors.js';
import { FFMPEG_BASE_ARGS, runTool } from './ffmpeg.js';
import { ffmpegFailure } from './ffmpeg-errors.js';
import { audioStream, displaySize, durationSeconds, frameRate, probeMedia, rotationDegrees, videoStream, type ProbeResult, type ProbeStream } from './probe.js';
import { videoThumbnail } from './thumbnail.js';
import { requireTools } from './voice-note.js';

export const VIDEO_MIMETYPE = 'video/mp4';
/** WhatsApp's limit for video messages. */
export const VIDEO_MAX_BYTES = 64 * 1024 * 1024;
const MAX_LONG_SIDE = 1280;
const MAX_SHORT_SIDE = 720;
const MAX_FPS = 30;
const PLAYABLE_PROFILES = new Set(['Constrained Baseline', 'Baseline', 'Main', 'High']);
/** Profiles we promise for converted files; such a stream is copied into the mp4, not re-encoded. */
const COPYABLE_PROFILES = new Set(['Constrained Baseline', 'Baseline', 'Main']);
const PLAYABLE_PIXEL_FORMATS = new Set(['yuv420p', 'yuvj420p']);

/** An mp4 every WhatsApp client plays as it is. */
export function isPhonePlayableMp4(probe: ProbeResult): boolean {
  const video = videoStream(probe);
  const audio = audioStream(probe);
  return (
    (probe.format.format_name ?? '').split(',').includes('mp4') &&
    video?.codec_name === 'h264' &&
    PLAYABLE_PROFILES.has(video.profile ?? '') &&
    PLAYABLE_PIXEL_FORMATS.has(video.pix_fmt ?? '') &&
    (audio === undefined || audio.codec_name === 'aac')
  );
}

export async function prepareVideo(ctx: ConversionContext, input: ConversionInput): Promise<OutgoingMedia> {
  const tools = requireTools(ctx);
  const probe = await probeMedia(tools, input.path, ctx.job.signal);
  const stream = probe && videoStream(probe);
  if (!probe || !stream || !displaySize(stream)) throw mediaErrors.undecodable('video', input.extension);

  let path = input.path;
  let outputProbe = probe;
  if (input.extension === 'mp4' && isPhonePlayableMp4(probe)) {
    ctx.logger.debug({ file: input.originalName }, 'video already phone-playable: passing through');
  } else {
    path = ctx.temp.allocate('mp4');
    await encodeMp4(ctx, input, probe, stream, path, { keepAudio: true, copyCompatibleVideo: true });
    const converted = await probeMedia(tools, path, ctx.job.signal);
    if (!converted || !videoStream(converted)) throw mediaErrors.failed('the converted video cannot be read back');
    outputProbe = converted;
  }
  const { size } = await stat(path);
  if (size > VIDEO_MAX_BYTES) throw mediaErrors.tooLarge('Video', VIDEO_MAX_BYTES, size);
  return describeMp4(ctx, path, outputProbe, {
    kind: 'video',
    path,
    mimetype: VIDEO_MIMETYPE,
    fileName: renamedTo(input.originalName, 'mp4'),
    ...(input.caption !== undefined ? { caption: input.caption } : {}),
  });
}

/** Adds duration, dimensions and thumbnail, all read from the file that is actually sent. */
export async function describeMp4(ctx: ConversionContext, path: string, probe: ProbeResult, media: OutgoingMedia): Promise<OutgoingMedia> {
  const tools = requireTools(ctx);
  const stream = videoStream(probe);
  const size = stream && displaySize(stream);
  const duration = durationSeconds(probe, stream);
  const jpegThumbnail = await videoThumbnail(tools, path, duration, ctx.job.signal);
  if (!jpegThumbnail) ctx.logger.warn({ path }, 'could not extract a video thumbnail; sending without one');
  return {
    ...media,
    seconds: Math.max(1, Math.round(duration ?? 0)),
    ...(size ? { width: size.width, height: size.height } : {}),
    ...(jpegThumbnail ? { jpegThumbnail } : {}),
  };
}

/**
 * H.264 that already meets what we would encode (Baseline/Main, 8-bit 4:2:0, within 1280×720,
 * at most 30 fps) only needs a new container: copying it costs a fraction of a re-encode.
 */
export function isCopyableVideo(stream: ProbeStream): boolean {
  const display = displaySize(stream);
  const fps = frameRate(stream);
  if (!display || fps === undefined || fps > MAX_FPS + 0.01) return false;
  const target = targetSize(display.width, display.height);
  return (
    stream.codec_name === 'h264' &&
    COPYABLE_PROFILES.has(stream.profile ?? '') &&
    stream.pix_fmt === 'yuv420p' &&
    // A copied stream would lose its display matrix to -map_metadata; re-encoding applies it.
    rotationDegrees(stream) === 0 &&
    (stream.sample_aspect_ratio ?? '1:1').match(/^(1:1|0:1|N\/A)$/) !== null &&
    target.width === display.width &&
    target.height === display.height
  );
}

/** Output size: the display size shrunk (never enlarged) into 1280×720 or 720×1280, even. */
export function targetSize(width: number, height: number): { width: number; height: number } {
  const [boxW, boxH] = width >= height ? [MAX_LONG_SIDE, MAX_SHORT_SIDE] : [MAX_SHORT_SIDE, MAX_LONG_SIDE];
  const scale = Math.min(1, boxW / width, boxH / height);
  const even = (value: number): number => Math.max(2, Math.round(value / 2) * 2);
  return { width: even(width * scale), height: even(height * scale) };
}

export async function encodeMp4(
  ctx: ConversionContext,
  input: ConversionInput,
  probe: ProbeResult,
  stream: ProbeStream,
  outputPath: string,
  options: { keepAudio: boolean; copyCompatibleVideo?: boolean },
): Promise<void> {
  const tools = requireTools(ctx);
  const display = displaySize(stream);
  // Callers check this first; a stream without a frame size cannot be scaled, only refused.
  if (!display) throw mediaErrors.undecodable('video', input.extension);
  const target = targetSize(display.width, display.height);
  const fps = frameRate(stream);
  const filters = [`scale=${target.width}:${target.height}:flags=bicubic`, 'setsar=1'];
  if (fps !== undefined && fps > MAX_FPS + 0.01) filters.push(`fps=${MAX_FPS}`);
  filters.push('format=yuv420p');
  const copyVideo = options.copyCompatibleVideo === true && isCopyableVideo(stream);
  const videoArgs = copyVideo
    ? ['-c:v', 'copy']
    : [
        '-vf',
        filters.join(','),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        // A cap keeps long clips inside WhatsApp's size limit without hurting ordinary ones.
        '-maxrate',
        '2500k',
        '-bufsize',
        '5000k',
        '-profile:v',
        'main',
        '-level:v',
        '3.1',
        '-pix_fmt',
        'yuv420p',
        // Keep the source's own frame timing: constant-rate output would repeat every frame of
        // a GIF or a variable-rate phone clip up to its base rate.
        '-vsync',
        'vfr',
        '-threads',
        String(ctx.threads),
      ];

  const audio = options.keepAudio ? audioStream(probe) : undefined;
  const audioArgs = !audio
    ? ['-an']
    : audio.codec_name === 'aac' && (audio.channels ?? 2) <= 2
      ? ['-map', `0:${audio.index}`, '-c:a', 'copy']
      : [
          '-map',
          `0:${audio.index}`,
          '-c:a',
          'aac',
          '-b:a',
          '128k',
          '-ac',
          String(Math.min(audio.channels ?? 2, 2)),
          ...(['44100', '48000'].includes(audio.sample_rate ?? '') ? [] : ['-ar', '44100']),
        ];
  ctx.logger.debug({ file: input.originalName, copyVideo, copyAudio: audioArgs.includes('copy') }, 'converting video to mp4');
  const result = await runTool(
    tools.ffmpeg,
    [
      ...FFMPEG_BASE_ARGS,
      '-i',
      input.path,
      '-map',
      `0:${stream.index}`,
      ...audioArgs,
      '-sn',
      '-dn',
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      ...videoArgs,
      '-max_muxing_queue_size',
      '1024',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      outputPath,
    ],
    { signal: ctx.job.signal },
  );
  if (result.exitCode !== 0) throw ffmpegFailure('video', input.extension, result);
}
