/**
 * Per-client-IP rate limit with the contract's defaults (100 requests / 3600 s). The client IP is
 * Express's req.ip, which honours TRUST_PROXY; IPv6 clients are counted per /56, as
 * express-rate-limit does (its key function is reused). One limiter instance is shared by every
 * limited route so the budget is per client, not per endpoint.
 *
 * A window per client starts at its first request. Answers carry the IETF draft-7 headers
 * (`RateLimit-Policy: 100;w=3600`, `RateLimit: limit=100, remaining=99, reset=3600`). This is the
 * in-memory counting express-rate-limit's MemoryStore does, without its asynchronous plumbing,
 * which cost more than the rest of a rejected request on the hot path.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isIPv6 } from 'node:net';
import { Errors, type AppError } from '../errors/app-error.js';
import { loadOnFirstUse } from '../load-on-first-use.js';

/** express-rate-limit (and its IPv6 address library) is loaded by the first IPv6 client only. */
const expressRateLimit = loadOnFirstUse<typeof import('express-rate-limit')>('express-rate-limit');

/**
 * express-rate-limit's key: an IPv4 address as it is, an IPv6 one as its /56 (or the IPv4 it maps).
 * An IPv6 address always has a colon, so an address without one skips isIPv6's pattern match.
 */
function clientKey(ip: string): string {
  return ip.includes(':') && isIPv6(ip) ? expressRateLimit().ipKeyGenerator(ip) : ip;
}

interface ClientWindow {
  hits: number;
  resetAt: number;
}

/**
 * Counts a request against its client's window and sets the RateLimit headers; returns the 429 to
 * answer when the budget is spent. A check, not a middleware, so a route's guard can run it and the
 * key check in one router layer (src/app.ts): each layer is a dispatch of its own per request.
 */
export type RateLimitCheck = (req: Request, res: Response) => AppError | undefined;

export function createRateLimiter(options: { enabled: boolean; max: number; windowSeconds: number }): RequestHandler {
  const check = createRateLimitCheck(options);
  return (req: Request, res: Response, next: NextFunction) => next(check(req, res));
}

export function createRateLimitCheck(options: { enabled: boolean; max: number; windowSeconds: number }): RateLimitCheck {
  if (!options.enabled) return () => undefined;
  const { max, windowSeconds } = options;
  const windowMs = windowSeconds * 1000;
  const policy = `${max};w=${windowSeconds}`;
  const clients = new Map<string, ClientWindow>();
  // Forget clients whose window is over, so memory follows the clients of one window. (A window
  // may be longer than a timer can wait: 31 days > 2^31 ms.)
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [key, window] of clients) if (window.resetAt <= now) clients.delete(key);
    },
    Math.min(windowMs, 10 * 60_000),
  );
  sweep.unref();

  return (req: Request, res: Response) => {
    const key = clientKey(req.ip ?? '');
    const now = Date.now();
    let window = clients.get(key);
    if (!window || window.resetAt <= now) {
      window = { hits: 0, resetAt: now + windowMs };
      clients.set(key, window);
    }
    window.hits++;
    const resetSeconds = Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${max}, remaining=${Math.max(0, max - window.hits)}, reset=${resetSeconds}`);
    return window.hits > max ? Errors.rateLimited(max, windowSeconds, Math.max(1, resetSeconds)) : undefined;
  };
}
