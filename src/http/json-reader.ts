/**
 * express.json, without its per-request machinery for the one shape nearly every client sends:
 * an unencoded body with a Content-Length within the limit, labelled `application/json` with no
 * charset or UTF-8. Profiles of the send path put body-parser's set-up (type-is, content-type,
 * iconv-lite's streaming decoder, raw-body's closures) at ~90 µs of CPU per text send.
 *
 * Everything else (Content-Encoding, chunked bodies, other charsets or media types, a length over
 * the limit, an already-read request) goes to express.json itself, unchanged. The fast path gives
 * the same `req.body` and the same errors (type, status, expose, message) as body-parser 2 /
 * raw-body 3 would, so the error handler answers alike; tests/http/json-reader.test.ts compares
 * the two through the app.
 */
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';

export interface JsonReaderOptions {
  /** Bytes; the same value is given to express.json. */
  limit: number;
  /** The media types express.json is to accept (it is given these unchanged). */
  type: string[];
}

/**
 * `application/json`, bare or with a UTF-8 charset, in a form content-type's parser accepts (it
 * allows spaces, not tabs, around `;` and `=`). Anything else takes express.json's path.
 */
const PLAIN_UTF8_JSON = /^application\/json *(?:; *charset *= *(?:utf-8|"utf-8") *)?$/i;

export function jsonReader(options: JsonReaderOptions): RequestHandler {
  const fallback = express.json({ limit: options.limit, type: options.type });
  const limit = options.limit;
  return (req, res, next) => {
    if (!fastPathApplies(req, limit)) return fallback(req, res, next);
    if (!('body' in req)) (req as { body?: unknown }).body = undefined;
    readBody(req, Number(req.headers['content-length']), limit, (error, text) => {
      if (error) return next(error);
      try {
        req.body = parseStrict(text ?? '');
      } catch (thrown) {
        return next(httpError(thrown as Error, 400, { body: text, type: 'entity.parse.failed' }));
      }
      next();
    });
  };
}

function fastPathApplies(req: IncomingMessage, limit: number): boolean {
  const headers = req.headers;
  const length = headers['content-length'];
  if (length === undefined || headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false;
  if (!PLAIN_UTF8_JSON.test(headers['content-type'] ?? '')) return false;
  // on-finished's isFinished (body-parser's "already read"), and a stream someone has started.
  const socket = req.socket as IncomingMessage['socket'] | null;
  if ((req as { upgrade?: boolean }).upgrade || !socket || !socket.readable || !req.readable || req.readableFlowing !== null) return false;
  if ((req as { _readableState?: { encoding?: unknown } })._readableState?.encoding) return false;
  // Node has checked Content-Length is digits; a length over the limit is express.json's 413.
  return Number(length) <= limit;
}

type BodyCallback = (error: Error | undefined, text?: string) => void;

/** raw-body's readStream for a request with a valid Content-Length within the limit. */
function readBody(req: IncomingMessage, length: number, limit: number, callback: BodyCallback): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let complete = false;
  const cleanup = () => {
    req.off('aborted', onAborted).off('close', cleanup).off('data', onData).off('end', onEnd).off('error', onEnd);
  };
  const fail = (error: Error) => {
    complete = true;
    cleanup();
    req.unpipe();
    req.pause();
    // body-parser reads off the rest of the request before it passes the error on.
    afterFinished(req, () => callback(error));
  };
  function onAborted() {
    if (complete) return;
    fail(httpError(new Error('request aborted'), 400, { code: 'ECONNABORTED', expected: length, length, received, type: 'request.aborted' }));
  }
  function onData(chunk: Buffer) {
    if (complete) return;
    received += chunk.length;
    // Node frames the body by Content-Length (within the limit), so this is raw-body's guard only.
    if (received > limit) return fail(httpError(new Error('request entity too large'), 413, { limit, received, type: 'entity.too.large' }));
    chunks.push(chunk);
  }
  function onEnd(error?: Error) {
    if (complete) return;
    if (error) return fail(httpError(error, 400, {}));
    if (received !== length) {
      return fail(httpError(new Error('request size did not match content length'), 400, { expected: length, length, received, type: 'request.size.invalid' }));
    }
    complete = true;
    cleanup();
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    // iconv-lite's UTF-8 decoder drops a leading byte-order mark; toString keeps it.
    let text = body.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    callback(undefined, text);
  }
  req.on('aborted', onAborted).on('close', cleanup).on('data', onData).on('end', onEnd).on('error', onEnd);
}

/** on-finished for a request: now if it has been read (or its socket is gone), else at its end. */
function afterFinished(req: IncomingMessage, callback: () => void): void {
  const socket = req.socket as IncomingMessage['socket'] | null;
  if ((req as { upgrade?: boolean }).upgrade || !socket || !socket.readable || (req.complete && !req.readable)) return callback();
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    req.off('end', once).off('close', once);
    callback();
  };
  req.on('end', once).on('close', once);
  req.resume();
}

/** body-parser's strict parse: an empty body is {}; the top level must be an object or array. */
function parseStrict(body: string): unknown {
  if (body.length === 0) return {};
  if (body[0] !== '{' && body[0] !== '[') {
    const first = /^[ \t\n\r]*([^ \t\n\r]|$)/.exec(body)?.[1] || undefined;
    if (first !== '{' && first !== '[') throw strictSyntaxError(body, first);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw normalize(error as Error, (error as Error).message, (error as Error).stack ?? '');
  }
}

/** The SyntaxError JSON.parse gives at the first non-space character, as body-parser words it. */
function strictSyntaxError(body: string, char: string | undefined): Error {
  const index = char === undefined ? -1 : body.indexOf(char);
  const partial = index === -1 ? '' : body.substring(0, index) + '#'.repeat(body.length - index);
  try {
    JSON.parse(partial);
    throw new SyntaxError('strict violation');
  } catch (error) {
    const e = error as Error;
    const message = e.message.replace(/#+/g, (placeholder) => body.substring(index, index + placeholder.length));
    return normalize(e, message, e.stack ?? '');
  }
}

function normalize(error: Error, message: string, stack: string): Error {
  for (const key of Object.getOwnPropertyNames(error)) {
    if (key !== 'stack' && key !== 'message') delete (error as unknown as Record<string, unknown>)[key];
  }
  error.stack = stack.replace(error.message, message);
  error.message = message;
  return error;
}

/** http-errors' createError(status, error, props) for an error that has no status yet. */
function httpError(error: Error, status: number, props: Record<string, unknown>): Error {
  const target = error as Error & Record<string, unknown>;
  const own = target.status || target.statusCode;
  const final = typeof own === 'number' && own >= 400 && own < 600 ? own : status;
  target.expose = final < 500;
  target.status = target.statusCode = final;
  Object.assign(target, props);
  return target;
}
