/**
 * One log line per request, tagged with a request id (the client's X-Request-Id when it is sane,
 * otherwise a fresh one, echoed back). Headers are never logged: they may carry API keys.
 * `req.log` (a pino child bound to the id) is built only when a handler logs through it: most
 * requests never do, and a child logger per request cost more than the request line itself.
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

export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => (child ??= logger.child({ reqId: id })),
    });
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        reqId: id,
        method: req.method,
        path: req.originalUrl.split('?')[0],
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
