/**
 * The account routes as they are served for every session, `/api/sessions/{session}/...`, for the
 * OpenAPI document (the routes themselves are served by session-dispatch.ts from each session's
 * own table, so these entries carry no handlers).
 */
import { withDoc, type DocumentedRoute, type RouteDoc } from '../openapi/route-doc.js';
import { pathInSession } from './session-dispatch.js';
import { sessionParams } from './session-schemas.js';

export function sessionDocs(accountRoutes: readonly DocumentedRoute[]): DocumentedRoute[] {
  return accountRoutes.map((route) => ({
    method: route.method,
    path: `/api/sessions/:session${pathInSession(route.path)}`,
    description: `${route.description} (one session)`,
    guarded: route.guarded,
    ...(route.rateLimited === false ? { rateLimited: false as const } : {}),
    doc: (): RouteDoc => {
      const { doc } = withDoc(route);
      return {
        ...doc,
        tag: doc.tag,
        params: doc.params ? sessionParams.extend(doc.params.shape) : sessionParams,
        errors: [...(doc.errors ?? []), 'SESSION_NOT_FOUND', 'FORBIDDEN'],
      };
    },
  }));
}
