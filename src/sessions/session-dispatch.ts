/**
 * `/api/sessions/:session/...`: every account route, for the session the path names. Each
 * session's routes are built once from its own transport and services, in a router of their own,
 * when the session opens (building them takes tens of milliseconds: on the first request of 100
 * sessions at once they queued behind each other); a deleted session's router goes with its runtime.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { RouteSpec } from '../http/route-spec.js';
import { SessionErrors } from './session-errors.js';
import type { SessionManager } from './session-manager.js';
import { isSessionName } from './session-name.js';
import type { SessionRuntime } from './session-runtime.js';

export const SESSION_PREFIX = '/api/sessions/:session';

/** `/api/send-message` → `/send-message`: the path inside the session's router. */
export const pathInSession = (path: string) => path.replace(/^\/api(?=\/)/, '');
/** `/send-message` → `/api/send-message`: the account route a path inside a session's router serves. */
export const accountRouteOf = (pathInRouter: string) => `/api${pathInRouter}`;

/** The session a request was dispatched to (the HTTP metrics label it with it); undefined outside one. */
export function dispatchedSession(res: Response): string | undefined {
  const session: unknown = res.locals.dispatchedSession;
  return typeof session === 'string' ? session : undefined;
}

export function sessionDispatch(
  sessions: Pick<SessionManager, 'get' | 'all' | 'whenOpened'>,
  routesOf: (runtime: SessionRuntime) => RouteSpec[],
): RequestHandler {
  const routers = new WeakMap<SessionRuntime, express.Router>();
  const routerFor = (runtime: SessionRuntime) => {
    let router = routers.get(runtime);
    if (!router) {
      router = express.Router();
      for (const route of routesOf(runtime)) {
        router[route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](pathInSession(route.path), ...route.handlers);
      }
      routers.set(runtime, router);
    }
    return router;
  };
  for (const runtime of sessions.all()) routerFor(runtime);
  sessions.whenOpened((runtime) => void routerFor(runtime));
  return (req: Request, res: Response, next: NextFunction) => {
    const name = req.params.session;
    const runtime = isSessionName(name) ? sessions.get(name) : undefined;
    if (!runtime) return next(SessionErrors.notFound());
    // A deletion of this session waits until the answer has gone (or the client went away).
    res.once('close', runtime.requests.enter());
    res.locals.dispatchedSession = runtime.name;
    routerFor(runtime)(req, res, next);
  };
}
