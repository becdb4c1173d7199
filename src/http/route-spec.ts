/**
 * One entry of the route table. Besides method, path and handlers, a route must say what it is
 * (`description`, one line: GET `/`'s endpoints list and the operation's summary) and carry its
 * `doc` (src/openapi/route-doc.ts): its tag, success responses, error codes, and the zod schemas
 * of its parameters and body, which are the ones its handlers validate with. Every routes module
 * returns its own list of these; src/app.ts concatenates them.
 */
import type { RequestHandler } from 'express';
import type { DocumentedRoute } from '../openapi/route-doc.js';

export interface RouteSpec extends DocumentedRoute {
  handlers: RequestHandler[];
  /**
   * A session key may call it for the session named by the path's `:session` (otherwise a route
   * outside /api/sessions/:session/ needs an admin key, or the default session's key for the
   * account routes at their v2.0.0 paths).
   */
  ownSession?: true;
}
