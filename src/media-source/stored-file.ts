/**
 * Where sourced media lands: the upload folder, under a random name as multer gives uploads
 * (`<32 hex>.<ext>`), so the start-up sweep in gateway.ts removes anything a crash left behind.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Errors } from '../errors/app-error.js';
import { extensionOf, formatSize, type UploadPolicy } from '../messaging/upload-policy.js';

/** Media from a URL or base64, on disk, as a multipart upload would have left it. */
export interface SourcedMedia {
  /** The stored file; the caller removes it when the request ends, as for an upload. */
  path: string;
  /** The client-facing name (its extension is what the upload rules judge). */
  originalName: string;
  size: number;
  /** The Content-Type the server or data URL declared, if any (informational: the bytes decide). */
  declaredType?: string;
}

export function storagePath(uploadDir: string, originalName: string): string {
  const extension = extensionOf(originalName);
  return path.join(uploadDir, `${randomBytes(16).toString('hex')}.${/^[a-z0-9]+$/.test(extension) ? extension : 'bin'}`);
}

/** The multipart rule: a wrong extension is refused before a byte is written. */
export function assertAllowedName(policy: UploadPolicy, originalName: string): void {
  if (!policy.extensions.includes(extensionOf(originalName))) throw Errors.invalidFileType(policy.extensions);
}

/** The kind's 413, worded as for an upload ("Maximum size for images is 16MB"). */
export function tooLarge(policy: UploadPolicy) {
  return Errors.fileTooLarge(policy.formatsKey, formatSize(policy.maxBytes));
}
