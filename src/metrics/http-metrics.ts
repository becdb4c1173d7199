/**
 * HTTP side of the metrics: every request counted under its route template (`/api/messages/:id`,
 * never the id itself) and the session whose route served it, and GET /metrics in Prometheus' text
 * format (every session's series in one document).
 */
import type { RouteSpec } from '../http/route-spec.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import type { Request, RequestHandler, Response } from 'express';
import { DEFAULT_SESSION } from '../sessions/session-name.js';
import { accountRouteOf, dispatchedSession } from '../sessions/session-dispatch.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/** Requests no route matched (404s, scans) share one label instead of one per URL tried. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Counts a request whose response was sent in full (an aborted one is not counted). Called by the
 * request context when the response closes (src/http/request-context.ts), so a request costs one
 * listener and one clock reading for both its log line and its metrics.
 */
export function requestCounter(metrics: GatewayMetrics): (req: Request, res: Response, seconds: number) => void {
  return (req, res, seconds) => {
    if (!res.writableFinished) return;
    // Express sets req.route when a route matched; its path is the template it was declared with.
    const template = (req.route as { path?: unknown } | undefined)?.path;
    // A session's route (/api/sessions/sales/send-message) counts under the account route's template
    // (/api/send-message) and its session, so a dashboard can sum a route over the sessions.
    const session = dispatchedSession(res);
    const route = typeof template !== 'string' ? UNMATCHED_ROUTE : session ? accountRouteOf(template) : template;
    metrics.httpRequest(session ?? DEFAULT_SESSION, req.method, route, res.statusCode, seconds);
  };
}

export function metricsHandler(metrics: GatewayMetrics): RequestHandler {
  return async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  };
}

export const metricsDoc = (): RouteDoc => ({
  tag: 'Service',
  details:
    'Prometheus text exposition format; every gateway series has a `session` label (the unprefixed routes count under `default`). Behind the key when one is set (a scraper sends it as `Authorization: Bearer`); not rate limited.',
  responses: { 200: { description: 'The metrics', mediaType: 'text/plain' } },
});

export function metricsRoutes(metrics: GatewayMetrics): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      description: 'Prometheus metrics',
      guarded: true,
      // Scrapes come every few seconds: behind the key (a scraper sends it as Bearer), not rate limited.
      rateLimited: false,
      doc: metricsDoc,
      handlers: [metricsHandler(metrics)],
    },
  ];
}
