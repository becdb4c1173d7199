import { mediaErrors, type MediaError } from './errors.js';
import type { RunResult } from './ffmpeg.js';

/**
 * Decides whose fault a failed ffmpeg run was. Problems writing our own output (disk full,
 * permissions) are the server's; anything else means the input could not be decoded.
 */
export function ffmpegFailure(kind: 'audio' | 'video' | 'image', extension: string, result: RunResult): MediaError {
  if (/No space left|Permission denied|Read-only file system|Cannot allocate memory/i.test(result.stderr)) {
    // The detail (paths, errno text) is logged with the cause, never put in a response.
    return mediaErrors.failed('the server could not write the converted file', new Error(lastLine(result.stderr)));
  }
  return mediaErrors.undecodable(kind, extension, new Error(lastLine(result.stderr) || `ffmpeg exited with ${result.exitCode}`));
}

function lastLine(text: string): string {
  return text.split('\n').filter(Boolean).pop() ?? '';
}
