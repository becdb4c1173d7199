/**
 * Body parsers of the routes that take fields, not files. A text message may come as JSON, a
 * form, or multipart fields: PHP's curl sends an array body as multipart/form-data, and v2.0.0
 * clients rely on that working.
 */
import type { RequestHandler } from 'express';
import { Errors } from '../errors/app-error.js';
import { formOrJsonBody } from './form-json.js';
import { jsonReader } from './json-reader.js';
import { multer } from './multipart.js';

const TEXT_BODY_LIMIT = '1mb';
const TEXT_BODY_LIMIT_BYTES = 1024 * 1024;

const TEXT_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

export function textBodyParsers(): RequestHandler[] {
  const json = jsonReader({ limit: TEXT_BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  const form = formOrJsonBody(TEXT_BODY_LIMIT);
  let fields: RequestHandler | undefined;
  const requireTextContentType: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(TEXT_TYPES)) {
      return next(Errors.unsupportedContentType('application/json, application/x-www-form-urlencoded or multipart/form-data'));
    }
    next();
  };
  const multipartFields: RequestHandler = (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    // multer is loaded by the first multipart body (src/http/multipart.ts).
    fields ??= multer()({ limits: { files: 0, fields: 20, fieldSize: 1024 * 1024 } }).none();
    fields(req, res, next);
  };
  const anyTextBody = inOrder([requireTextContentType, json, ...form, multipartFields]);
  // Plain JSON, what nearly every client sends, needs only the JSON parser: the other steps would
  // each parse the Content-Type again to find they have nothing to do.
  return [(req, res, next) => (PLAIN_JSON.test(req.headers['content-type'] ?? '') ? json(req, res, next) : anyTextBody(req, res, next))];
}

/** `application/json`, with or without parameters. */
const PLAIN_JSON = /^application\/json\s*(?:;|$)/i;

/** Middleware that runs `handlers` one after another, as Express would, in one router layer. */
function inOrder(handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0;
    const step = (error?: unknown): void => {
      // Like Express, a falsy value is no error.
      if (error) return next(error);
      const handler = handlers[index++];
      if (!handler) return next();
      try {
        void handler(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
