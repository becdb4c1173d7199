/**
 * A JSON-only body reader for the routes that take structured fields (lists, nested objects),
 * where a form encoding has no natural shape: anything but JSON is refused with the contract's
 * UNSUPPORTED_CONTENT_TYPE before a byte is read.
 */
import { type NextFunction, type Request, type Response } from 'express';
import { Errors } from '../errors/app-error.js';
import { jsonReader } from './json-reader.js';

/** `limit` in bytes (64 KB by default). */
export function jsonBody(limit = 64 * 1024) {
  const json = jsonReader({ limit, type: ['application/json', 'application/*+json'] });
  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) return next(Errors.unsupportedContentType('application/json'));
    next();
  };
  return [requireJson, json];
}
