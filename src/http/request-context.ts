/**
 * One log line per request, tagged with a request id (the client's X-Request-Id when it is sane,
 * otherwise a fresh one, echoed back). Headers are never logged: they may carry API keys.
 * `req.log` (a pino child bound to the id) is built only when a handler logs through it: most
 * requests never do, and a child logger per request cost more than the request line itself. The
 * getter lives on the app's request prototype, so a request only gets two plain properties.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The request's base logger and, once asked for, its child; symbols keep them off the JSON of `req`. */
const BASE = Symbol('request logger base');
const CHILD = Symbol('request logger');

interface LoggedRequest {
  id: string;
  [BASE]?: Logger;
  [CHILD]?: Logger;
}

/** Undefined (as before this middleware) on a request that did not pass through it. */
function lazyLogGetter(this: LoggedRequest): Logger | undefined {
  if (!this[BASE]) return this[CHILD];
  return (this[CHILD] ??= this[BASE].child({ reqId: this.id }));
}

const CLIENT_IP = Symbol('client ip');

/**
 * `req.ip` as Express computes it (X-Forwarded-For under TRUST_PROXY), computed once per request:
 * the rate limiter and the request line both ask, and Express works it out again on each read.
 */
function cacheClientIp(proto: object): void {
  let owner: object | null = proto;
  let descriptor: PropertyDescriptor | undefined;
  while (owner && !(descriptor = Object.getOwnPropertyDescriptor(owner, 'ip'))) owner = Object.getPrototypeOf(owner) as object | null;
  const compute = descriptor?.get;
  if (!compute || (compute as { cachesIp?: true }).cachesIp) return;
  const cached = function (this: { [CLIENT_IP]?: string }) {
    return (this[CLIENT_IP] ??= compute.call(this) as string | undefined);
  };
  Object.defineProperty(cached, 'cachesIp', { value: true });
  Object.defineProperty(proto, 'ip', { configurable: true, enumerable: descriptor?.enumerable ?? true, get: cached });
}

/** Defines `log` (and the cached `ip`) once on the prototype Express gives this app's requests. */
function installGetter(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object;
  if (Object.getOwnPropertyDescriptor(proto, 'log')?.get === lazyLogGetter) return;
  cacheClientIp(proto);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    enumerable: false,
    get: lazyLogGetter,
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

export function requestContext(logger: Logger, afterResponse?: AfterResponse) {
  let installed: object | undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const proto = Object.getPrototypeOf(req) as object;
    if (proto !== installed) {
      installGetter(req);
      installed = proto;
    }
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    (req as unknown as LoggedRequest)[BASE] = logger;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
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
    next();
  };
}
