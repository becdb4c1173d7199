/**
 * A JSON-only body reader for the routes that take structured fields (lists, nested objects),
 * where a form encoding has no natural shape: anything but JSON is refused with the contract's
 * UNSUPPORTED_CONTENT_TYPE before a byte is read.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { Errors } from '../errors/app-error.js';

export function jsonBody(limit = '64kb') {
  const json = express.json({ limit, type: ['application/json', 'application/*+json'] });
  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) return next(Errors.unsupportedContentType('application/json'));
    next();
  };
  return [requireJson, json];
}
