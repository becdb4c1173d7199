/**
 * The client-facing name of fetched or decoded media. Its extension is what the upload rules judge
 * (allowed list per kind, content sniffing, conversion), exactly as for a multipart upload's name.
 */
import { basename } from 'node:path';
import { extensionOf } from '../messaging/upload-policy.js';

/** Content-Type → the extension the upload table knows it by (only types some kind accepts). */
const EXTENSION_BY_MIME: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'text/plain': 'txt',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/vnd.rar': 'rar',
  'application/x-rar-compressed': 'rar',
  'application/x-7z-compressed': '7z',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/aac': 'aac',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'video/mp4': 'mp4',
  'video/x-msvideo': 'avi',
  'video/quicktime': 'mov',
  'video/x-matroska': 'mkv',
  'video/webm': 'webm',
  'video/3gpp': '3gp',
  'video/x-flv': 'flv',
};

export function extensionForMime(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return EXTENSION_BY_MIME[mime];
}

/** Only the last path segment, without control characters: a name is a label, never a path. */
export function cleanFileName(name: string): string {
  const last = basename(name.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 255);
  return last === '.' || last === '..' ? '' : last;
}

/** `filename*=UTF-8''...` (RFC 6266/5987) wins over `filename="..."`. */
export function fileNameFromContentDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      return cleanFileName(decodeURIComponent(extended[2].trim())) || undefined;
    } catch {
      // A broken percent-encoding: fall back to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  const value = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return value ? cleanFileName(value) || undefined : undefined;
}

export function fileNameFromUrl(url: URL): string | undefined {
  const segment = url.pathname.split('/').pop() ?? '';
  try {
    return cleanFileName(decodeURIComponent(segment)) || undefined;
  } catch {
    return cleanFileName(segment) || undefined;
  }
}

/** A name without an extension takes one from the Content-Type, so "GET /photo" of a PNG is photo.png. */
export function withExtensionFrom(name: string, contentType: string | undefined): string {
  if (extensionOf(name) !== '') return name;
  const extension = extensionForMime(contentType);
  return extension ? `${name}.${extension}` : name;
}

/**
 * The name of fetched media: the client's `filename`, else Content-Disposition's, else the URL
 * path's last segment, else "file"; an extension from the Content-Type when it has none.
 */
export function fetchedFileName(given: string | undefined, url: URL, contentDisposition: string | undefined, contentType: string | undefined): string {
  const name = given ?? fileNameFromContentDisposition(contentDisposition) ?? fileNameFromUrl(url) ?? 'file';
  return withExtensionFrom(name, contentType);
}
