/**
 * Errors of media preparation. Each carries the HTTP status the gateway answers with and a stable
 * code, so the HTTP layer can render it without knowing how conversion works.
 */
export type MediaErrorCode =
  'MEDIA_UNDECODABLE' | 'MEDIA_TOO_LARGE' | 'MEDIA_DIMENSIONS_TOO_LARGE' | 'MEDIA_TIMEOUT' | 'MEDIA_BUSY' | 'CONVERSION_UNAVAILABLE' | 'CONVERSION_FAILED';

export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly status: number,
    readonly code: MediaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isMediaError(value: unknown): value is MediaError {
  return value instanceof MediaError;
}

/** What a file of each kind is called in messages to the client. */
const NOUNS = { audio: 'audio', video: 'video', image: 'image', sticker: 'sticker', document: 'document' } as const;

export const mediaErrors = {
  /** The client sent something we cannot read: their fault, so 400. */
  undecodable(kind: keyof typeof NOUNS, extension: string, cause?: unknown): MediaError {
    const claimed = extension ? `not really ${extension}` : `not a supported ${NOUNS[kind]} format`;
    return new MediaError(400, 'MEDIA_UNDECODABLE', `Could not decode ${NOUNS[kind]} file: the file is corrupt or ${claimed}`, { cause });
  },
  /** A valid image with more pixels than we decode: the client's to shrink, so 400. */
  tooManyPixels(kind: keyof typeof NOUNS, limitPixels: number, width?: number, height?: number): MediaError {
    const side = Math.floor(Math.sqrt(limitPixels));
    const actual = width && height ? `${width}×${height} pixels (${megapixels(width * height)} megapixels)` : 'more pixels than allowed';
    return new MediaError(
      400,
      'MEDIA_DIMENSIONS_TOO_LARGE',
      `The ${NOUNS[kind]} is too large to process: ${actual}; the limit is ${megapixels(limitPixels)} megapixels (e.g. ${side}×${side})`,
    );
  },
  tooLarge(what: string, limitBytes: number, actualBytes: number): MediaError {
    return new MediaError(
      413,
      'MEDIA_TOO_LARGE',
      `${what} is ${formatBytes(actualBytes)} after conversion; WhatsApp accepts at most ${formatBytes(limitBytes)}`,
    );
  },
  timeout(limitMs: number): MediaError {
    return new MediaError(504, 'MEDIA_TIMEOUT', `Media conversion took longer than ${Math.round(limitMs / 1000)} s and was stopped`);
  },
  busy(): MediaError {
    return new MediaError(503, 'MEDIA_BUSY', 'Too many media conversions queued; try again shortly');
  },
  unavailable(tool: string): MediaError {
    return new MediaError(500, 'CONVERSION_UNAVAILABLE', `Media conversion is not available on this server (${tool} missing)`);
  },
  failed(detail: string, cause?: unknown): MediaError {
    return new MediaError(500, 'CONVERSION_FAILED', `Media conversion failed: ${detail}`, { cause });
  },
};

function megapixels(pixels: number): string {
  return (pixels / 1_000_000).toFixed(1);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)}MB`;
  return `${Math.ceil(bytes / 1024)}KB`;
}
