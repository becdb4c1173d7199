/**
 * The account routes as they are served for every session, `/api/sessions/{session}/...`, for the
 * OpenAPI document (the routes themselves are served by session-dispatch.ts from each session's
 * own table, so these entries carry no handlers).
 */
import type { DocumentedRoute } from '../openapi/route-doc.js';
import { pathInSession } from './session-dispatch.js';
import { sessionParams } from './session-schemas.js';

export function sessionDocs(accountRoutes: readonly DocumentedRoute[]): DocumentedRoute[] {
  return accountRoutes.map((route) => ({
    method: route.method,
    path: `/api/sessions/:session${pathInSession(route.path)}`,
    description: `${route.description} (one session)`,
    guarded: route.guarded,
    ...(route.rateLimited === false ? { rateLimited: false as const } : {}),
    doc: {
      ...route.doc,
      tag: route.doc.tag,
      params: route.doc.params ? sessionParams.extend(route.doc.params.shape) : sessionParams,
      errors: [...(route.doc.errors ?? []), 'SESSION_NOT_FOUND', 'FORBIDDEN'],
    },
  }));
}
