/**
 * API-key check. Keys come in X-API-Key or Authorization: Bearer. Several keys may be configured
 * (rotation). Comparison hashes both sides to a fixed length and uses timingSafeEqual against every
 * configured key, so neither the key's content nor its length leaks through timing.
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

/** Middleware: a no-op when no key is configured. Runs before any body is read. */
export function requireApiKey(keys: readonly string[]) {
  const check = createKeyChecker(keys);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (keys.length === 0 || check(presentedKey(req))) return next();
    next(Errors.unauthorized());
  };
}
