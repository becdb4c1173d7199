/**
 * Checks that an upload's bytes are what its extension claims, by magic numbers (file-type).
 * An executable named ".jpg" or a text file named ".pdf" is refused before anything is sent.
 * Within a kind we accept siblings (a PNG named .jpg is still an image WhatsApp can show) and
 * report the detected mimetype so the message carries the true one.
 */
import type { MediaKind } from '../domain/vocabulary.js';
import { open } from 'node:fs/promises';
import { Errors } from '../errors/app-error.js';

export interface ContentCheckResult {
  /** The mimetype the bytes show, when file-type recognises them. */
  detectedMime?: string;
}

const IMAGE_MIMES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const CFB = ['application/x-cfb'];
const ZIP_FAMILY = [
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
];

/** Document extension → the mimetypes its bytes may show. */
const DOCUMENT_SIGNATURES: Record<string, readonly string[]> = {
  pdf: ['application/pdf'],
  doc: CFB,
  xls: CFB,
  ppt: CFB,
  docx: ZIP_FAMILY,
  xlsx: ZIP_FAMILY,
  pptx: ZIP_FAMILY,
  zip: ZIP_FAMILY,
  rar: ['application/x-rar-compressed', 'application/vnd.rar'],
  '7z': ['application/x-7z-compressed'],
};

/** Containers that carry audio or video whatever file-type calls them. */
const AV_CONTAINERS = [
  'video/mp4',
  'audio/mp4',
  'audio/x-m4a',
  'video/x-m4v',
  'video/quicktime',
  'video/webm',
  'audio/webm',
  'video/x-matroska',
  'audio/x-matroska',
  'video/3gpp',
  'video/3gpp2',
  'audio/ogg',
  'video/ogg',
  'application/ogg',
];

function acceptable(kind: MediaKind, extension: string, mime: string): boolean {
  switch (kind) {
    case 'image':
      return IMAGE_MIMES.includes(mime);
    case 'sticker':
      return mime === 'image/webp';
    case 'audio':
      return mime.startsWith('audio/') || AV_CONTAINERS.includes(mime);
    case 'video':
      return mime.startsWith('video/') || AV_CONTAINERS.includes(mime) || mime === 'application/x-shockwave-flash';
    case 'document':
      return (DOCUMENT_SIGNATURES[extension] ?? []).includes(mime);
  }
}

/** Plain text: no NUL bytes and valid UTF-8 in the first 64 KB. */
async function looksLikeText(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    // A multi-byte character cut at the 64 KB boundary is not an error, so trim up to 3 bytes.
    for (let cut = 0; cut <= 3 && cut <= head.length; cut++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
        return true;
      } catch {
        // try a shorter prefix
      }
    }
    return false;
  } finally {
    await handle.close();
  }
}

export async function checkUploadContent(kind: MediaKind, extension: string, path: string): Promise<ContentCheckResult> {
  // file-type (with its tokenizers) is loaded by the first upload, not at start: an idle gateway does not carry it.
  const { fileTypeFromFile } = await import('file-type');
  const detected = await fileTypeFromFile(path);
  if (kind === 'document' && extension === 'txt') {
    if (detected || !(await looksLikeText(path))) throw Errors.fileContentMismatch(extension, detected?.ext ?? 'binary data');
    return { detectedMime: 'text/plain' };
  }
  if (!detected) {
    // Raw audio/video streams (an MP3 without ID3 whose first frame is not at byte 0, ADTS AAC)
    // are not always recognised by magic numbers; the conversion step probes them properly and
    // rejects what it cannot decode. Everything else must be recognised.
    const text = await looksLikeText(path);
    if ((kind === 'audio' || kind === 'video') && !text) return {};
    throw Errors.fileContentMismatch(extension, text ? 'text' : undefined);
  }
  if (!acceptable(kind, extension, detected.mime)) throw Errors.fileContentMismatch(extension, detected.ext);
  return { detectedMime: detected.mime };
}
