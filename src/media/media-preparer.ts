/**
 * The entry point of media conversion: turns an uploaded file into what WhatsApp receives. The
 * HTTP layer calls `prepare`, sends `media`, then calls `cleanup` in a finally. Conversions run in
 * the bounded pool; documents need none and skip it.
 */
import type { MediaKind } from '../domain/vocabulary.js';
import { mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { extensionOf } from '../messaging/upload-policy.js';
import type { MediaCapabilities, MediaPreparer } from '../messaging/media-preparation.js';
import type { OutgoingMedia } from '../whatsapp/transport.js';
import { safeFileName, type ConversionContext, type ConversionInput } from './context.js';
import { ConversionPool, DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUED, DEFAULT_TIMEOUT_MS, type ConversionPoolStats, type JobContext } from './conversion-pool.js';
import { documentMimeType } from './document-mime.js';
import { MediaError, mediaErrors } from './errors.js';
import { detectMediaTools } from './ffmpeg.js';
import { prepareImage } from './image.js';
import { findSharp, loadSharp } from './sharp-loader.js';
import { prepareSticker } from './sticker.js';
import { TempFiles } from './temp-files.js';
import { prepareVideo } from './video.js';
import { prepareVoiceNote } from './voice-note.js';

export interface MediaPreparerOptions {
  /** Where converted files are written, under random names. Created if missing. */
  tempDir: string;
  /** Conversions running at once; default 2, for a 2-core VPS. */
  concurrency?: number;
  /** Time limit per file, from when its conversion starts; default 120 s. */
  timeoutMs?: number;
  /** Conversions allowed to wait for a slot before new ones get 503; default 100. */
  maxQueued?: number;
  logger?: Logger;
  /** Binaries to use instead of the npm-bundled ones (an operator's own build, or tests). */
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** The converting preparer also reports the load of its conversion pool. */
export interface ConvertingMediaPreparer extends MediaPreparer {
  /** Load of the conversion pool, for status endpoints. */
  stats(): ConversionPoolStats;
}

type Converter = (ctx: ConversionContext, input: ConversionInput) => Promise<OutgoingMedia>;

const CONVERTERS: Record<Exclude<MediaKind, 'document'>, Converter> = {
  audio: prepareVoiceNote,
  video: prepareVideo,
  image: prepareImage,
  sticker: prepareSticker,
};

export function createMediaPreparer(options: MediaPreparerOptions): ConvertingMediaPreparer {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ module: 'media' });
  mkdirSync(options.tempDir, { recursive: true });
  const toolStatus = detectMediaTools({
    ...(options.ffmpegPath ? { ffmpeg: options.ffmpegPath } : {}),
    ...(options.ffprobePath ? { ffprobe: options.ffprobePath } : {}),
  });
  // Found on disk now, loaded by the first image or sticker (see sharp-loader.ts).
  const sharpStatus = findSharp();
  if (toolStatus.problem) logger.warn({ problem: toolStatus.problem }, 'ffmpeg unavailable: audio and video cannot be converted');
  if (sharpStatus.problem) logger.warn({ problem: sharpStatus.problem }, 'sharp unavailable: images and stickers cannot be converted');
  let sharpLoadReported = false;
  const sharpModule = () => {
    if (!sharpStatus.available) return null;
    const { sharp, problem } = loadSharp();
    if (problem && !sharpLoadReported) logger.error({ problem }, 'sharp could not be loaded: images and stickers cannot be converted');
    sharpLoadReported = true;
    return sharp;
  };

  const capabilities: MediaCapabilities = Object.freeze({
    conversion: toolStatus.tools !== null && sharpStatus.available,
    ffmpeg: toolStatus.tools !== null,
    sharp: sharpStatus.available,
  });
  const pool = new ConversionPool({
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
  });
  // ffmpeg threads per job: 0 lets ffmpeg and x264 choose, as a plain ffmpeg command does (about
  // 1.5 per core). Splitting the cores among the pool's slots up front left half of them idle
  // whenever one conversion ran alone (1.5-2× plain ffmpeg's time on 2 cores); when two run, the
  // kernel shares the cores between them, each with the same number of threads.
  const threads = 0;

  return {
    capabilities: () => capabilities,
    stats: () => pool.stats(),
    async prepare(input) {
      const extension = extensionOf(input.originalName);
      if (input.kind === 'document') {
        return {
          media: {
            kind: 'document',
            path: input.path,
            mimetype: documentMimeType(extension),
            fileName: safeFileName(input.originalName, extension || 'bin'),
            ...(input.caption !== undefined ? { caption: input.caption } : {}),
          },
          cleanup: async () => {},
        };
      }
      const convert = CONVERTERS[input.kind];
      return pool.run(async (job) => {
        const temp = new TempFiles(options.tempDir);
        const ctx: ConversionContext = {
          job,
          temp,
          logger,
          tools: toolStatus.tools,
          get sharp() {
            return sharpModule();
          },
          threads,
        };
        const started = Date.now();
        try {
          const media = await convert(ctx, {
            path: input.path,
            originalName: input.originalName,
            extension,
            ...(input.caption !== undefined ? { caption: input.caption } : {}),
          });
          job.signal.throwIfAborted();
          logger.debug(
            { kind: input.kind, file: input.originalName, sentAs: media.kind, ms: Date.now() - started, converted: media.path !== input.path },
            'media prepared',
          );
          return { media, cleanup: () => temp.removeAll() };
        } catch (error) {
          await temp.removeAll();
          const mapped = toMediaError(error, job, pool.timeoutMs);
          if (mapped.status >= 500) logger.error({ err: error, kind: input.kind, file: input.originalName }, mapped.message);
          else logger.info({ kind: input.kind, file: input.originalName, code: mapped.code }, mapped.message);
          throw mapped;
        }
      }, input.session);
    },
  };
}

function toMediaError(error: unknown, job: JobContext, timeoutMs: number): MediaError {
  if (job.signal.aborted && job.signal.reason instanceof MediaError) return job.signal.reason;
  if (error instanceof MediaError) return error;
  // sharp reports its own time limit as "timeout: NN% complete".
  if (error instanceof Error && /^timeout/i.test(error.message)) return mediaErrors.timeout(timeoutMs);
  // A bug or an unforeseen library error: logged with its stack by the caller, but its text
  // (a TypeError, a path) is no business of the client's.
  return mediaErrors.failed('unexpected error while converting the file', error);
}
