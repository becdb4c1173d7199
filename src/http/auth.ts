/**
 * API-key check. Keys come in X-API-Key or Authorization: Bearer. Several keys may be configured
 * (rotation). Comparison hashes both sides to a fixed length and uses timingSafeEqual against every
 * configured key, so neither the key's content nor its length leaks through timing.
 * The operator console's session cookie stands in for the key (see src/console/).
 * With several sessions (src/sessions/), the configured keys are admin keys and each session has
 * a key of its own that opens only that session's routes (accessCheck).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppError, Errors } from '../errors/app-error.js';

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

export interface AccessRules {
  adminKeys: readonly string[];
  /** The session a (non-admin) key belongs to, if any. */
  sessionOfKey: (key: string) => string | undefined;
  /** The console's cookie: counts as an admin key. */
  browserSession?: SessionAuthenticator;
  /** The answer to a session key used where it does not belong. */
  forbidden: (adminOnly: boolean) => AppError;
}

/** Who may pass: the error to answer with (401, 403, CSRF), or undefined to let the request on. */
export type AccessCheck = (req: Request) => AppError | undefined;

/**
 * Admin keys open everything; a session key opens the routes of its own session, i.e. where
 * `session(req)` names it (`undefined` = an admin-only route). Open when no admin key is
 * configured, as v2.0.0 without API_KEY. A check, not a middleware, so a route's guard can run it
 * with the rate limit in one router layer (src/app.ts).
 */
export function accessCheck(rules: AccessRules, session: (req: Request) => string | undefined): AccessCheck {
  const isAdmin = createKeyChecker(rules.adminKeys);
  return (req) => {
    if (rules.adminKeys.length === 0) return undefined;
    const key = presentedKey(req);
    if (key !== undefined) {
      if (isAdmin(key)) return undefined;
      const owner = rules.sessionOfKey(key);
      if (owner === undefined) return Errors.unauthorized();
      const wanted = session(req);
      return owner === wanted ? undefined : rules.forbidden(wanted === undefined);
    }
    const fromBrowser = rules.browserSession ? rules.browserSession(req) : 'none';
    if (fromBrowser === 'valid') return undefined;
    return fromBrowser === 'csrf-refused' ? Errors.csrfRefused() : Errors.unauthorized();
  };
}
