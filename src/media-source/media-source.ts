/**
 * Media given by `url` or `base64` (plus `filename`) instead of a multipart `file`: turned into a
 * file in the upload folder exactly as an upload would be (random name, the kind's extension list
 * and size limit), so the route then applies the same content check, conversion and clean-up.
 * No Express here: the route hands in the JSON body's fields.
 */
import { Errors } from '../errors/app-error.js';
import type { UploadPolicy } from '../messaging/upload-policy.js';
import { addressPolicyFor, type AddressPolicy } from './address-policy.js';
import { decodeBase64Media } from './base64-media.js';
import { cleanFileName } from './file-name.js';
import { systemResolver, type Resolver } from './guarded-lookup.js';
import type { SourcedMedia } from './stored-file.js';
import { fetchMediaUrl } from './url-fetch.js';

export type { SourcedMedia } from './stored-file.js';

/** The JSON body's fields as the client sent them (unvalidated). */
export interface MediaSourceFields {
  url?: unknown;
  base64?: unknown;
  filename?: unknown;
}

export interface MediaSourceOptions {
  uploadDir: string;
  /** MEDIA_URL_ALLOW_PRIVATE: also fetch from loopback, private, link-local and metadata addresses. */
  allowPrivate: boolean;
  /** MEDIA_URL_TIMEOUT, for the whole fetch (redirects and body included). */
  timeoutMs: number;
  /** Tests only: which resolved addresses count as reachable (default: from allowPrivate). */
  addressPolicy?: AddressPolicy;
  /** Tests only: the DNS resolver under the guard (default: the system's). */
  resolver?: Resolver;
  maxRedirects?: number;
}

export interface MediaSource {
  /** Stores the media of `fields` for a send of `policy`'s kind; throws the catalogue's errors. */
  obtain(fields: MediaSourceFields, policy: UploadPolicy): Promise<SourcedMedia>;
}

const present = (value: unknown) => value !== undefined && value !== null && value !== '';

/** Whether a body carries media by `url` or `base64` (the route's cue to use this instead of multer). */
export function hasMediaSource(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const fields = body as MediaSourceFields;
  return present(fields.url) || present(fields.base64);
}

/**
 * The JSON body limit a media endpoint needs so that a base64 file of the kind's full size fits:
 * base64 is 4/3 of the bytes, MIME line breaks add up to 6 % (CRLF every 76 characters, escaped in
 * JSON as four characters), and 64 KiB covers the data URL prefix, phone, caption and the other
 * fields. A larger body is then refused by the body parser (413).
 */
export function jsonBodyLimitFor(policy: UploadPolicy): number {
  return Math.ceil(4 * Math.ceil(policy.maxBytes / 3) * 1.06) + 64 * 1024;
}

export function createMediaSource(options: MediaSourceOptions): MediaSource {
  const settings = {
    addressPolicy: options.addressPolicy ?? addressPolicyFor(options.allowPrivate),
    refuseMetadataHosts: !options.allowPrivate,
    resolver: options.resolver ?? systemResolver,
    timeoutMs: options.timeoutMs,
    maxRedirects: options.maxRedirects ?? 3,
  };
  return {
    async obtain(fields, policy) {
      // Only ever a label (the last path segment, no control characters), never a path.
      const cleaned = typeof fields.filename === 'string' ? cleanFileName(fields.filename) : '';
      const filename = cleaned !== '' ? cleaned : undefined;
      if (present(fields.url) && present(fields.base64)) throw Errors.mediaSourceConflict();
      if (present(fields.url)) {
        if (typeof fields.url !== 'string') throw Errors.mediaFetchFailed('"url" must be an http or https URL');
        return fetchMediaUrl(fields.url.trim(), filename, policy, options.uploadDir, settings);
      }
      if (present(fields.base64)) {
        if (typeof fields.base64 !== 'string') throw Errors.invalidBase64('it must be a string');
        return decodeBase64Media(fields.base64, filename, policy, options.uploadDir);
      }
      throw Errors.fileRequired();
    },
  };
}
