/**
 * Media sent inline as base64 (plain, or a data URL such as `data:image/png;base64,...`), written to
 * the upload folder. The decoded size follows from the length, so an oversized body is refused before
 * anything is decoded, and the text is decoded in slices so no second full copy sits in memory.
 */
import { open, rm } from 'node:fs/promises';
import { Errors } from '../errors/app-error.js';
import type { UploadPolicy } from '../messaging/upload-policy.js';
import { cleanFileName, withExtensionFrom } from './file-name.js';
import { assertAllowedName, storagePath, tooLarge, type SourcedMedia } from './stored-file.js';

/** A multiple of 4 characters, so each slice decodes on its own: 4 MiB of text, 3 MiB of bytes. */
const SLICE_CHARS = 4 * 1024 * 1024;

interface Payload {
  data: string;
  declaredType?: string;
}

function unwrapDataUrl(value: string): Payload {
  if (!/^data:/i.test(value)) return { data: value };
  const comma = value.indexOf(',');
  if (comma < 0) throw Errors.invalidBase64('a data URL needs a comma before the data (data:<type>;base64,<data>)');
  const header = value
    .slice(5, comma)
    .split(';')
    .map((p) => p.trim());
  if (!header.slice(1).some((p) => p.toLowerCase() === 'base64')) throw Errors.invalidBase64('a data URL must be base64-encoded (data:<type>;base64,<data>)');
  const type = header[0]?.toLowerCase();
  return { data: value.slice(comma + 1), ...(type ? { declaredType: type } : {}) };
}

/** Standard or URL-safe alphabet, padding optional; line breaks (MIME style) are tolerated. */
function decodedSize(data: string): number {
  if (data.length === 0) throw Errors.invalidBase64('it is empty');
  if (!/^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/.test(data)) throw Errors.invalidBase64('only A-Z, a-z, 0-9, +, / (or -, _) and = padding are allowed');
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  if ((padding > 0 && data.length % 4 !== 0) || data.length % 4 === 1) throw Errors.invalidBase64('its length is not that of base64 data');
  return Math.floor(((data.length - padding) * 3) / 4);
}

export async function decodeBase64Media(value: string, givenName: string | undefined, policy: UploadPolicy, uploadDir: string): Promise<SourcedMedia> {
  // Without a name there is no extension, and the extension is what the upload rules judge.
  const cleaned = givenName === undefined ? '' : cleanFileName(givenName);
  if (cleaned === '') throw Errors.filenameRequired();
  const { data: raw, declaredType } = unwrapDataUrl(value.trim());
  const originalName = withExtensionFrom(cleaned, declaredType);
  assertAllowedName(policy, originalName);

  const data = /\s/.test(raw) ? raw.replace(/\s+/g, '') : raw;
  const size = decodedSize(data);
  if (size > policy.maxBytes) throw tooLarge(policy);

  const target = storagePath(uploadDir, originalName);
  const file = await open(target, 'wx');
  let complete = false;
  try {
    for (let offset = 0; offset < data.length; offset += SLICE_CHARS) {
      await file.write(Buffer.from(data.slice(offset, offset + SLICE_CHARS), 'base64'));
    }
    complete = true;
  } finally {
    await file.close();
    if (!complete) await rm(target, { force: true });
  }
  return { path: target, originalName, size, ...(declaredType ? { declaredType } : {}) };
}
