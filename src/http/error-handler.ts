/**
 * Renders every error in the contract's body: {"status":"error","message","timestamp","code",...}.
 * Translates body-parser and multer errors into catalogue errors; anything unknown is a 500 that
 * is logged with its stack but answered without internals.
 */
import type { NextFunction, Request, Response } from 'express';
import { isStoreUnavailable } from '../cluster/sql/store-unavailable.js';
import { AppError, Errors } from '../errors/app-error.js';
import { sendJson } from './json-response.js';
import { isMulterError } from './multipart.js';

export function errorBody(error: AppError): Record<string, unknown> {
  return { status: 'error', message: error.message, timestamp: new Date().toISOString(), code: error.code, ...error.extra };
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function formatBytes(bytes: number | undefined): string {
  if (!bytes) return 'the configured limit';
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)}MB` : `${Math.round(bytes / 1024)}KB`;
}

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isStoreUnavailable(error)) return Errors.storeUnavailable();
  if (isMulterError(error)) {
    switch (error.code) {
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        // Busboy's file-count limit names no field; upload.ts words the upload endpoints' case.
        return error.field ? Errors.unexpectedFileField(error.field) : Errors.unexpectedFile();
      case 'LIMIT_FIELD_KEY':
      case 'LIMIT_FIELD_VALUE':
      case 'LIMIT_FIELD_COUNT':
      case 'LIMIT_PART_COUNT':
        return Errors.tooManyFields();
      default:
        return Errors.malformedMultipart(error.message);
    }
  }
  const e = error as BodyParserError;
  if (e?.type === 'entity.parse.failed') return Errors.malformedJson();
  if (e?.type === 'entity.too.large') return Errors.bodyTooLarge(formatBytes(e.limit));
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return Errors.unsupportedContentType('UTF-8 text');
  // busboy's own parse errors ("Unexpected end of form", "Malformed part header", no boundary).
  if (e instanceof Error && /multipart|boundary|end of form|part header/i.test(e.message)) return Errors.malformedMultipart(e.message);
  // Other client errors raised by Express and its parsers (a malformed %-escape in the path, a
  // body that claims gzip but is not) carry their own 4xx status: they are the client's, not 500s.
  const status = (e as { status?: unknown; statusCode?: unknown } | null)?.status ?? (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && e instanceof Error) {
    return new AppError(status, 'BAD_REQUEST', e.message);
  }
  return undefined;
}

export function errorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  let appError = toAppError(error);
  if (!appError) {
    req.log?.error({ err: error }, 'unhandled error');
    appError = Errors.internal();
  } else if (appError.status >= 500 && appError.status !== 503) {
    req.log?.warn({ code: appError.code, error: appError.message }, 'request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = appError;
  afterBodyArrived(req, () => {
    if (res.headersSent || res.destroyed) return;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    sendJson(res, answer.status, errorBody(answer));
  });
}

/** How long an error answer waits for the rest of a body nobody will read. */
const DRAIN_LIMIT_MS = 2000;

/**
 * An error found before the body was read (401, 503, a bad boundary, a missing phone) would be
 * answered while the client is still sending; Node then closes the socket under it and the
 * client often sees a reset instead of the answer. So the rest of the body is read and dropped
 * first, for a bounded time: a client that keeps sending after that gets the answer and the close.
 */
function afterBodyArrived(req: Request, answer: () => void): void {
  if (req.complete || req.readableEnded || req.destroyed) return answer();
  const done = () => {
    clearTimeout(timer);
    req.off('end', done).off('close', done).off('error', done);
    answer();
  };
  const timer = setTimeout(done, DRAIN_LIMIT_MS);
  req.on('end', done).on('close', done).on('error', done);
  req.resume();
}

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(Errors.notFound());
}
