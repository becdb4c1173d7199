/**
 * Requests that Node's HTTP parser refuses never reach Express: bad framing, oversized heads,
 * illegal header bytes, unknown methods, an `Expect` we do not support. Node would answer them
 * with an empty 400/431/417; this module answers them in the contract's error body instead. It
 * also owns the server's creation, so production and the tests attach the same handlers.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Errors, type AppError } from '../errors/app-error.js';
import { errorBody } from './error-handler.js';

/** Node's default; the request line and all headers together. */
const MAX_HEADER_BYTES = 16 * 1024;

/** What the parser's codes mean, in words for the client (never the parser's own text). */
const PARSER_ERRORS: Readonly<Record<string, string>> = {
  HPE_INVALID_METHOD: 'unknown method',
  HPE_INVALID_URL: 'invalid request target',
  HPE_INVALID_VERSION: 'invalid HTTP version',
  HPE_INVALID_CONSTANT: 'invalid request line',
  HPE_INVALID_HEADER_TOKEN: 'invalid character in a header (NUL, control character or folded line)',
  HPE_INVALID_CONTENT_LENGTH: 'invalid or repeated Content-Length',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length together with Transfer-Encoding',
  HPE_INVALID_TRANSFER_ENCODING: 'invalid Transfer-Encoding',
  HPE_INVALID_CHUNK_SIZE: 'invalid chunk size',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'chunk extensions too long',
  HPE_STRICT: 'invalid framing',
  HPE_CR_EXPECTED: 'invalid line ending',
  HPE_LF_EXPECTED: 'invalid line ending',
  HPE_UNEXPECTED_SPACE: 'unexpected whitespace',
  HPE_INVALID_EOF_STATE: 'the connection ended before the whole request arrived',
};

function appErrorFor(error: NodeJS.ErrnoException): AppError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return Errors.headersTooLarge(`${MAX_HEADER_BYTES / 1024}KB`);
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') return Errors.requestTimeout();
  return Errors.malformedRequest(PARSER_ERRORS[error.code ?? ''] ?? 'the request could not be parsed');
}

/** A complete HTTP/1.1 response in the contract's error body; the connection closes after it. */
function rawErrorResponse(error: AppError): string {
  const body = JSON.stringify(errorBody(error));
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/** `clientError`: the parser failed (or the head never arrived in time) on this socket. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset has nobody to answer.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer = () => {
    if (socket.destroyed || !socket.writable) return;
    socket.end(rawErrorResponse(appErrorFor(error)));
    // end() flushes then closes; a peer that never reads must not hold the socket open.
    setTimeout(() => socket.destroy(), 5000).unref();
  };
  const inFlight = (socket as Socket & { _httpMessage?: InFlightResponse })._httpMessage;
  if (!inFlight) return answer();
  if (inFlight.req?.complete !== true) {
    // The bad bytes belong to the request being answered (its body broke off): answered unless
    // its response has begun, which cannot be replaced, and then the connection just ends.
    if (inFlight.headersSent) socket.destroy();
    else answer();
    return;
  }
  // A pipelined request after a complete one: its 400 follows the earlier response, in order
  // (on a loaded machine the earlier response may still be under way when the parser fails).
  if (inFlight.writableFinished) return answer();
  inFlight.once('finish', answer);
  inFlight.once('close', () => {
    if (!inFlight.writableFinished) socket.destroy();
  });
}

/** The parts of Node's ServerResponse (socket._httpMessage) that say which request it answers. */
interface InFlightResponse {
  req?: { complete?: boolean };
  headersSent?: boolean;
  writableFinished?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

function sendError(res: ServerResponse, error: AppError): void {
  res.shouldKeepAlive = false;
  res.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close', ...error.headers });
  res.end(JSON.stringify(errorBody(error)));
}

/**
 * The HTTP server for an app, with every client error answered as JSON. HTTP/1.1 without Host is
 * refused here rather than by Node (whose answer is an empty 400), for the same reason.
 */
export function createHttpServer(app: RequestListener): Server {
  const server = createServer({ requireHostHeader: false, maxHeaderSize: MAX_HEADER_BYTES }, (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return sendError(res, Errors.malformedRequest('missing Host header'));
    app(req, res);
  });
  server.on('clientError', answerClientError);
  // Only 100-continue is meaningful; Node already answers it and passes the request on.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => sendError(res, Errors.expectationFailed(String(req.headers.expect ?? ''))));
  return server;
}
