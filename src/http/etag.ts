/**
 * The API's JSON answers carry no ETag (app.ts turns Express's per-response SHA-1 off: a status or
 * a send result is never revalidated, and hashing every body was a visible share of a small
 * request's CPU). The static things that are revalidated — the console's files, the reference
 * page, the OpenAPI document — get this tag, computed once, in the form Express used to send.
 */
import { createHash } from 'node:crypto';

export function weakEtag(body: string | Buffer): string {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const hash = createHash('sha1').update(body).digest('base64').slice(0, 27);
  return `W/"${length.toString(16)}-${hash}"`;
}
