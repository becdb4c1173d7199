/**
 * Fetches media from an http(s) URL into the upload folder, with the SSRF rules: only http/https,
 * no credentials in the URL, every hop's address checked (IP literals here, names in the guarded
 * lookup at connect time), at most `maxRedirects` redirects, one time limit for the whole fetch,
 * and the kind's size limit enforced while streaming to disk (never buffered in memory).
 *
 * node:http(s) rather than global fetch: a per-request `lookup` is a plain option here, so the
 * socket connects to exactly the address the guard approved; global fetch (undici) would need its
 * own dispatcher with a connect hook, and follows redirects itself unless told not to.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { AppError, Errors } from '../errors/app-error.js';
import { extensionOf, type UploadPolicy } from '../messaging/upload-policy.js';
import { isMetadataHost, type AddressPolicy } from './address-policy.js';
import { fetchedFileName } from './file-name.js';
import { AddressNotAllowedError, guardedLookup, type Resolver } from './guarded-lookup.js';
import { assertAllowedName, storagePath, tooLarge, type SourcedMedia } from './stored-file.js';

export interface UrlFetchSettings {
  addressPolicy: AddressPolicy;
  /** Refuse cloud metadata host names outright (off only with MEDIA_URL_ALLOW_PRIVATE). */
  refuseMetadataHosts: boolean;
  resolver: Resolver;
  timeoutMs: number;
  maxRedirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class SizeLimitExceeded extends Error {}

/** The URL as the gateway will use it, or the reason it may not be fetched at all. */
function checkedUrl(raw: string, base: URL | undefined, settings: UrlFetchSettings): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw Errors.mediaFetchFailed(base ? 'the redirect location is not a valid URL' : '"url" is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw Errors.mediaFetchFailed('only http and https URLs are accepted');
  // Credentials in a URL end up in logs and proxies; the gateway never sends them.
  if (url.username !== '' || url.password !== '') throw Errors.mediaFetchFailed('URLs with credentials (user:password@) are not accepted');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // The WHATWG parser has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1. Node connects
  // to an IP literal without calling `lookup`, so literals are judged here.
  if (isIP(host) !== 0 && !settings.addressPolicy(host)) throw Errors.mediaFetchFailed('the address is not allowed (private or local network)');
  if (settings.refuseMetadataHosts && isMetadataHost(host)) throw Errors.mediaFetchFailed('the address is not allowed (cloud metadata service)');
  url.hash = '';
  return url;
}

function describe(error: unknown, url: URL, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timed out after ${Math.round(timeoutMs / 100) / 10} s`;
  if (error instanceof AddressNotAllowedError) return `${error.hostname} resolves to an address that is not allowed (private or local network)`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return `host ${url.hostname} not found`;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') return 'the connection closed before the whole file arrived';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return "the server's TLS certificate is not trusted";
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  return 'network error';
}

function request(url: URL, settings: UrlFetchSettings, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.get(url, {
      // A fresh connection per hop (no pooled socket), each through the guarded lookup.
      agent: false,
      lookup: guardedLookup(settings.addressPolicy, settings.resolver),
      signal,
      headers: { 'user-agent': 'whatsapp-gateway (media fetch)', accept: '*/*', 'accept-encoding': 'identity' },
    });
    req.once('response', resolve);
    // `on`, not `once`: an abort or reset after the response began may emit a second error.
    req.on('error', reject);
  });
}

/** Follows redirects (each re-checked) to the response that carries the body; `hop.url` is where it got to. */
async function finalResponse(hop: { url: URL }, settings: UrlFetchSettings, signal: AbortSignal): Promise<IncomingMessage> {
  for (let redirects = 0; ; redirects++) {
    const response = await request(hop.url, settings, signal);
    const location = response.headers.location;
    if (REDIRECTS.has(response.statusCode ?? 0) && location) {
      response.destroy();
      if (redirects >= settings.maxRedirects) throw Errors.mediaFetchFailed(`more than ${settings.maxRedirects} redirects`);
      hop.url = checkedUrl(location, hop.url, settings);
      continue;
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      response.destroy();
      throw Errors.mediaFetchFailed(`the server answered ${status}`);
    }
    return response;
  }
}

export async function fetchMediaUrl(
  rawUrl: string,
  givenName: string | undefined,
  policy: UploadPolicy,
  uploadDir: string,
  settings: UrlFetchSettings,
): Promise<SourcedMedia> {
  const start = checkedUrl(rawUrl, undefined, settings);
  // A given name with an extension is judged before any connection, as multer does; without one,
  // the extension comes from the Content-Type and is judged once the headers arrive.
  if (givenName !== undefined && extensionOf(givenName) !== '') assertAllowedName(policy, givenName);

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  const hop = { url: start };
  let stored: string | undefined;
  let storageError: unknown;
  try {
    const response = await finalResponse(hop, settings, controller.signal);
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > policy.maxBytes) {
      response.destroy();
      throw tooLarge(policy);
    }
    const declaredType = response.headers['content-type'];
    const originalName = fetchedFileName(givenName, hop.url, response.headers['content-disposition'], declaredType);
    try {
      assertAllowedName(policy, originalName);
    } catch (error) {
      response.destroy();
      throw error;
    }

    const target = storagePath(uploadDir, originalName);
    stored = target;
    let size = 0;
    // Counted as it streams: the response is torn down the moment the limit is passed.
    async function* withinLimit(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > policy.maxBytes) throw new SizeLimitExceeded();
        yield chunk;
      }
    }
    const file = createWriteStream(target, { flags: 'wx' });
    // Only the file system's own failures (they carry a syscall): an abort or the size cut-off also
    // destroys the file stream with their error.
    file.once('error', (error: NodeJS.ErrnoException) => {
      if (error.syscall) storageError = error;
    });
    await pipeline(response, withinLimit, file, { signal: controller.signal });
    stored = undefined;
    return { path: target, originalName, size, ...(declaredType ? { declaredType } : {}) };
  } catch (error) {
    if (error instanceof SizeLimitExceeded) throw tooLarge(policy);
    if (error instanceof AppError) throw error;
    // A full disk or a missing upload folder is the gateway's fault (500), not the URL's.
    if (storageError !== undefined && error === storageError) throw error;
    throw Errors.mediaFetchFailed(describe(error, hop.url, controller.signal.aborted, settings.timeoutMs));
  } finally {
    clearTimeout(timer);
    if (stored) await rm(stored, { force: true });
  }
}
