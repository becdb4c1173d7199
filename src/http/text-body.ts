/**
 * Body parsers of the routes that take fields, not files. A text message may come as JSON, a
 * form, or multipart fields: PHP's curl sends an array body as multipart/form-data, and v2.0.0
 * clients rely on that working.
 */
import express, { type RequestHandler } from 'express';
import multer from 'multer';
import { Errors } from '../errors/app-error.js';
import { formOrJsonBody } from './form-json.js';

const TEXT_BODY_LIMIT = '1mb';

const TEXT_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

export function textBodyParsers(): RequestHandler[] {
  const json = express.json({ limit: TEXT_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  const form = formOrJsonBody(TEXT_BODY_LIMIT);
  const fields = multer({ limits: { files: 0, fields: 20, fieldSize: 1024 * 1024 } }).none();
  const requireTextContentType: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(TEXT_TYPES)) {
      return next(Errors.unsupportedContentType('application/json, application/x-www-form-urlencoded or multipart/form-data'));
    }
    next();
  };
  const multipartFields: RequestHandler = (req, res, next) => (req.is('multipart/form-data') ? fields(req, res, next) : next());
  return [requireTextContentType, json, ...form, multipartFields];
}
