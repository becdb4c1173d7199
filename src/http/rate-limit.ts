/**
 * Per-client-IP rate limit with the contract's defaults (100 requests / 3600 s). The client IP is
 * Express's req.ip, which honours TRUST_PROXY. One limiter instance is shared by every limited
 * route so the budget is per client, not per endpoint.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Errors } from '../errors/app-error.js';

export function createRateLimiter(options: { enabled: boolean; max: number; windowSeconds: number }): RequestHandler {
  if (!options.enabled) return (_req: Request, _res: Response, next: NextFunction) => next();
  return rateLimit({
    windowMs: options.windowSeconds * 1000,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Its own start-up validations print through console; the config layer already warns about
    // a permissive TRUST_PROXY in our log.
    validate: false,
    handler: (req, _res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const reset = info?.resetTime?.getTime() ?? Date.now() + options.windowSeconds * 1000;
      next(Errors.rateLimited(options.max, options.windowSeconds, Math.max(1, Math.ceil((reset - Date.now()) / 1000))));
    },
  });
}
