/**
 * The upload table of the API contract, as data. Validation (multer limits, extension and content
 * checks), GET `/`, GET `/api/status` and the README all read this one table.
 */
import type { MediaKind } from '../domain/vocabulary.js';

export interface UploadPolicy {
  kind: MediaKind;
  /** Key used by GET `/` and `/api/status` in `supported_formats` and `file_size_limits`. */
  formatsKey: 'images' | 'documents' | 'audio' | 'video' | 'stickers';
  /** Lower-case extensions without the dot, in the contract's order. */
  extensions: readonly string[];
  maxBytes: number;
  acceptsCaption: boolean;
  /** The success message of the send endpoint, exactly as in v2.0.0. */
  successMessage: string;
  endpoint: string;
  description: string;
}

const MB = 1024 * 1024;

export const DEFAULT_UPLOAD_POLICIES: Readonly<Record<MediaKind, UploadPolicy>> = {
  image: {
    kind: 'image',
    formatsKey: 'images',
    extensions: ['jpg', 'jpeg', 'png', 'gif', 'webp'],
    maxBytes: 16 * MB,
    acceptsCaption: true,
    successMessage: 'Image sent successfully',
    endpoint: '/api/send-image',
    description: 'Send image with caption',
  },
  document: {
    kind: 'document',
    formatsKey: 'documents',
    extensions: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'zip', 'rar', '7z'],
    maxBytes: 32 * MB,
    acceptsCaption: true,
    successMessage: 'Document sent successfully',
    endpoint: '/api/send-document',
    description: 'Send document with caption',
  },
  audio: {
    kind: 'audio',
    formatsKey: 'audio',
    extensions: ['mp3', 'wav', 'ogg', 'm4a', 'aac', 'flac'],
    maxBytes: 16 * MB,
    acceptsCaption: false,
    successMessage: 'Audio sent successfully',
    endpoint: '/api/send-audio',
    description: 'Send audio file',
  },
  video: {
    kind: 'video',
    formatsKey: 'video',
    extensions: ['mp4', 'avi', 'mov', 'mkv', 'webm', '3gp', 'flv'],
    maxBytes: 64 * MB,
    acceptsCaption: true,
    successMessage: 'Video sent successfully',
    endpoint: '/api/send-video',
    description: 'Send video with caption',
  },
  sticker: {
    kind: 'sticker',
    formatsKey: 'stickers',
    extensions: ['webp'],
    maxBytes: 1 * MB,
    acceptsCaption: false,
    successMessage: 'Sticker sent successfully',
    endpoint: '/api/send-sticker',
    description: 'Send WebP sticker',
  },
};

export type UploadPolicies = Readonly<Record<MediaKind, UploadPolicy>>;

/** "16MB", "1MB", "512KB": the v2.0.0 rendering of a size limit. */
export function formatSize(bytes: number): string {
  if (bytes % MB === 0) return `${bytes / MB}MB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)}MB`;
  return `${Math.round(bytes / 1024)}KB`;
}

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}
