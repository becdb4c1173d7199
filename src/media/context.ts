import type { Logger } from 'pino';
import type { JobContext } from './conversion-pool.js';
import type { MediaTools } from './ffmpeg.js';
import type { TempFiles } from './temp-files.js';
import type { SharpModule } from './sharp-loader.js';

/** Everything one conversion needs; built per job by the preparer. */
export interface ConversionContext {
  job: JobContext;
  temp: TempFiles;
  logger: Logger;
  /** Null when ffmpeg/ffprobe are unusable; converters that need them are not called then. */
  tools: MediaTools | null;
  /** Loaded on first access (see sharp-loader.ts); null when sharp is unusable. */
  sharp: SharpModule | null;
  /** ffmpeg threads per job; 0 lets ffmpeg choose from the cores (concurrent jobs share them through the kernel). */
  threads: number;
}

export interface ConversionInput {
  path: string;
  originalName: string;
  /** Lower-case extension of the original name, without the dot. */
  extension: string;
  caption?: string;
}

/** The client's file name without directories or control characters, never empty. */
export function safeFileName(originalName: string, fallbackExtension: string): string {
  const base = originalName.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned.length > 0 ? cleaned : `file.${fallbackExtension}`;
}

/** The original name with its extension swapped for what the file now is. */
export function renamedTo(originalName: string, extension: string): string {
  const name = safeFileName(originalName, extension);
  const dot = name.lastIndexOf('.');
  return `${dot > 0 ? name.slice(0, dot) : name}.${extension}`;
}
