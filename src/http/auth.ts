/**
 * API-key check. Keys come in X-API-Key or Authorization: Bearer. Several keys may be configured
 * (rotation). Comparison hashes both sides to a fixed length and uses timingSafeEqual against every
 * configured key, so neither the key's content nor its length leaks through timing.
 * The operator console's session cookie stands in for the key (see src/console/).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Errors } from '../errors/app-error.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export function presentedKey(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header.trim();
  const authorization = req.get('authorization');
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

export function createKeyChecker(keys: readonly string[]): (candidate: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (candidate) => {
    const given = digest(candidate ?? '');
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok; // no early exit
    return ok && candidate !== undefined;
  };
}

/**
 * A browser session that stands in for the key: 'valid', 'none' (no live session), or
 * 'csrf-refused' (a live session, but a state-changing call without its CSRF token).
 */
export type SessionAuthenticator = (req: Request) => 'none' | 'valid' | 'csrf-refused';

/**
 * Middleware: a no-op when no key is configured. Runs before any body is read. A presented key
 * wins over a cookie (a header cannot be forged cross-site, so it needs no CSRF token).
 */
export function requireApiKey(keys: readonly string[], session?: SessionAuthenticator) {
  const check = createKeyChecker(keys);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (keys.length === 0) return next();
    const key = presentedKey(req);
    if (key !== undefined && check(key)) return next();
    const fromSession = key === undefined && session ? session(req) : 'none';
    if (fromSession === 'valid') return next();
    next(fromSession === 'csrf-refused' ? Errors.csrfRefused() : Errors.unauthorized());
  };
}
