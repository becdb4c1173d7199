/**
 * One log line per request, tagged with a request id (the client's X-Request-Id when it is sane,
 * otherwise a fresh one, echoed back). Headers are never logged: they may carry API keys.
 * `req.log` (a pino child bound to the id) is built only when a handler logs through it: most
 * requests never do, and a child logger per request cost more than the request line itself. The
 * getter lives on the app's request prototype, so a request only gets one plain property, its id.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The request's child logger, once asked for; a symbol keeps it off the JSON of `req`. */
const CHILD = Symbol('request logger');

interface LoggedRequest {
  id?: string;
  [CHILD]?: Logger;
}

/**
 * `req.log` for the requests of an app whose requests carry `id`: the base logger's child, made
 * on first use. Undefined (as before this middleware) on a request that did not pass through it.
 * The base logger is the getter's, not the request's: a property stored on each request was a
 * visible part of the middleware's cost.
 */
function lazyLogGetter(base: Logger) {
  return function (this: LoggedRequest): Logger | undefined {
    if (this.id === undefined) return this[CHILD];
    return (this[CHILD] ??= base.child({ reqId: this.id }));
  };
}

const CLIENT_IP = Symbol('client ip');

/**
 * `req.ip` as Express computes it (X-Forwarded-For under TRUST_PROXY), computed once per request:
 * the rate limiter and the request line both ask, and Express works it out again on each read.
 * With no proxy trusted, Express's answer is the socket's peer address whatever the headers say
 * (proxy-addr keeps only the first address, the socket's), so it is read from there directly.
 */
function cacheClientIp(proto: object, directClients: boolean): void {
  let owner: object | null = proto;
  let descriptor: PropertyDescriptor | undefined;
  while (owner && !(descriptor = Object.getOwnPropertyDescriptor(owner, 'ip'))) owner = Object.getPrototypeOf(owner) as object | null;
  const compute = descriptor?.get;
  if (!compute) return;
  const cached = directClients
    ? function (this: IncomingMessage) {
        return this.socket?.remoteAddress;
      }
    : function (this: { [CLIENT_IP]?: string }) {
        return (this[CLIENT_IP] ??= compute.call(this) as string | undefined);
      };
  Object.defineProperty(proto, 'ip', { configurable: true, enumerable: descriptor?.enumerable ?? true, get: cached });
}

/** The prototypes (one per Express app) that have `log` and the cached `ip`. */
const installed = new WeakSet<object>();

/** Defines `log` (and the cached `ip`) once on the prototype Express gives this app's requests. */
function installGetters(proto: object, base: Logger, directClients: boolean): void {
  if (installed.has(proto)) return;
  installed.add(proto);
  cacheClientIp(proto, directClients);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    enumerable: false,
    get: lazyLogGetter(base),
    set(this: LoggedRequest, value: Logger) {
      this[CHILD] = value;
    },
  });
}

/** The URL without its query (which may carry anything a client put there). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** What else wants to know about a finished request (the HTTP metrics), given its duration. */
export type AfterResponse = (req: Request, res: Response, seconds: number) => void;

export interface RequestContextOptions {
  /** What else wants to know about a finished request (the HTTP metrics). */
  afterResponse?: AfterResponse;
  /** No proxy is trusted (TRUST_PROXY off): `req.ip` is the socket's peer. */
  directClients?: boolean;
  /** Headers every response carries (after X-Request-Id). */
  headers?: Readonly<Record<string, string>>;
  /**
   * A refusal decided for every request before any route (the drain's 503): the error it returns
   * is passed on as the request's. Here rather than in a middleware of its own, since each router
   * layer is a dispatch of its own on every request.
   */
  gate?: (req: Request, res: Response) => Error | undefined;
}

export function requestContext(logger: Logger, { afterResponse, directClients = false, headers, gate }: RequestContextOptions = {}) {
  const fixedHeaders = headers ? Object.entries(headers) : [];
  let seen: object | undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const proto = Object.getPrototypeOf(req) as object;
    if (proto !== seen) {
      installGetters(proto, logger, directClients);
      seen = proto;
    }
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    for (const [name, value] of fixedHeaders) res.setHeader(name, value);
    // A double from the monotonic clock, not hrtime.bigint(): no BigInt to allocate, twice a request.
    const started = performance.now();
    res.on('close', () => {
      const ms = performance.now() - started;
      afterResponse?.(req, res, ms / 1000);
      const line = {
        reqId: id,
        method: req.method,
        path: pathOf(req.originalUrl),
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        ip: req.ip,
        aborted: !res.writableFinished,
      };
      if (res.statusCode >= 500 && res.statusCode !== 503) logger.error(line, 'request');
      else logger.info(line, 'request');
    });
    next(gate?.(req, res));
  };
}
