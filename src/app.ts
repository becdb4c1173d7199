/**
 * createApp(deps): the Express app, with no listen and no environment reads. Routes are declared
 * once in a table, which mounts them and feeds GET `/`'s `endpoints` list and the OpenAPI
 * document, so neither can drift from what the server really serves. Each routes module returns
 * its own part of the table; this file only puts them in order and adds the middleware.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { accountRoutes, type SharedParts } from './account-routes.js';
import type { Config } from './config/config.js';
import { consoleRoutes, consoleSessionAuthenticator, skipLimitForConsoleSession } from './console/console-routes.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { Errors } from './errors/app-error.js';
import { accessCheck, type AccessCheck } from './http/auth.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { VERSION, infoRoutes } from './http/info-routes.js';
import { createRateLimitCheck } from './http/rate-limit.js';
import { requestContext } from './http/request-context.js';
import type { RouteSpec } from './http/route-spec.js';
import { createMediaSource } from './media-source/media-source.js';
import { ALL_KINDS_SENDABLE, type MediaCapabilities, type SendableKinds } from './messaging/media-preparation.js';
import { DOCS_ASSETS_PATH, docsAssets, referenceRoutes } from './openapi/reference-routes.js';
import { metricsRoutes, requestCounter } from './metrics/http-metrics.js';
import type { Services } from './services.js';
import { sessionDocs } from './sessions/session-docs.js';
import { SESSION_PREFIX, sessionDispatch } from './sessions/session-dispatch.js';
import { SessionErrors } from './sessions/session-errors.js';
import type { SessionManager } from './sessions/session-manager.js';
import { DEFAULT_SESSION } from './sessions/session-name.js';
import { sessionRoutes } from './sessions/session-routes.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

export type { RouteSpec } from './http/route-spec.js';

export interface AppDeps {
  config: Config;
  transport: WhatsAppTransport;
  services: Services;
  media: MediaCapabilities;
  /** Kinds that can be sent with the installed tools; all of them unless said otherwise. */
  sendable?: SendableKinds;
  logger: Logger;
  /** Routes contributed by the sandbox (inspection of what the emulated phones received). */
  extraRoutes?: RouteSpec[];
  /**
   * The sessions besides default (session management and /api/sessions/:session/...). Without it
   * (component tests) the app serves the default account only.
   */
  sessions?: SessionManager;
  /** True once graceful shutdown has begun: new requests get 503. */
  isShuttingDown?: () => boolean;
}

const API_DESCRIPTION =
  'Send WhatsApp messages (text, image, document, audio, video, sticker) through a linked account, keeping the v2.0.0 ' +
  'contract. Every route except GET /, GET /api/health, GET /api/openapi.json and GET /docs is rate limited per ' +
  'client IP and, when API_KEY is set, needs the key as `X-API-Key` or `Authorization: Bearer`. Every error has the ' +
  'body {"status":"error","message","timestamp","code"}. Several accounts: each is a session; every account route also ' +
  'exists under /api/sessions/{session}/ and the unprefixed ones act on `default`. API_KEY keys are admin keys; a ' +
  "session's own key opens only its session.";

export function createApp(deps: AppDeps): express.Express {
  const { config, transport, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);
  // No per-response ETag on API answers; static pages set their own (src/http/etag.ts).
  app.set('etag', false);

  const { services, sessions } = deps;
  const mediaSource = createMediaSource({ uploadDir: config.uploadDir, ...config.mediaUrl });

  const routes: RouteSpec[] = [];
  const shared: SharedParts = { media: deps.media, sendable: deps.sendable ?? ALL_KINDS_SENDABLE, mediaSource, routes: () => routes };
  const defaultAccount = accountRoutes({ config, transport, services }, shared);
  const accountRouteSet = new Set(defaultAccount);
  const consoleSessions = new ConsoleSessions(config.consoleSessionMs);
  const isShuttingDown = () => deps.isShuttingDown?.() ?? false;
  // The OpenAPI document also lists every account route under /api/sessions/{session}/.
  const documented = () => (sessions ? [...routes, ...sessionDocs(defaultAccount)] : routes);
  routes.push(
    ...infoRoutes({ config, transport, features: { webhooks: services.dispatcher !== undefined, analytics: true }, ...shared }),
    ...referenceRoutes(documented, { title: 'WhatsApp Gateway API', version: VERSION, description: API_DESCRIPTION }),
    ...defaultAccount,
    ...(sessions ? sessionRoutes(sessions, shared) : []),
    ...consoleRoutes({ config, transport, transportOf: (name) => sessions?.get(name)?.transport, sessions: consoleSessions, isShuttingDown }),
    ...metricsRoutes(services.metrics.gateway),
    ...(deps.extraRoutes ?? []),
  );

  // Health stays 200 while the process serves (the contract), even while it drains. Checked by the
  // request context itself rather than a layer of its own: each layer is a dispatch per request.
  const refuseWhileDraining = (req: Request, res: Response) => {
    if (!isShuttingDown() || req.path === '/api/health') return undefined;
    res.setHeader('Connection', 'close');
    return Errors.shuttingDown();
  };
  app.use(
    requestContext(logger.child({ module: 'http' }), {
      afterResponse: requestCounter(services.metrics.gateway),
      // Without TRUST_PROXY, the client is the socket's peer whatever X-Forwarded-For says.
      directClients: config.trustProxy === false,
      // Every response of a sandbox gateway says so, errors included.
      headers: config.sandbox ? { 'X-Gateway-Mode': 'sandbox' } : undefined,
      gate: refuseWhileDraining,
    }),
  );

  // Swagger UI's own files for GET /docs: static assets, not API routes, so not in the table.
  app.use(DOCS_ASSETS_PATH, docsAssets);

  // Admin keys (API_KEY) open every route; a session's own key opens that session's routes, and
  // the account routes at their v2.0.0 paths when it is default's.
  const access = (session: (req: Request) => string | undefined) =>
    accessCheck(
      {
        adminKeys: config.apiKeys,
        sessionOfKey: (key) => sessions?.keys.sessionOf(key),
        browserSession: consoleSessionAuthenticator(consoleSessions),
        forbidden: (adminOnly) => (adminOnly ? SessionErrors.adminOnly() : SessionErrors.forbidden()),
      },
      session,
    );
  const adminOnly = access(() => undefined);
  const defaultSession = access(() => DEFAULT_SESSION);
  const sessionInPath = access((req) => {
    const named = req.params.session;
    return typeof named === 'string' ? named : undefined;
  });
  const limit = skipLimitForConsoleSession(consoleSessions, createRateLimitCheck(config.rateLimit));
  // Rate limit before the key check, so guessing keys is throttled too; both in one router layer
  // (a layer is a dispatch of its own on every request).
  const guard = (keyCheck: AccessCheck) => ({
    limited: (req: Request, res: Response, next: NextFunction) => next(limit(req, res) ?? keyCheck(req)),
    unlimited: (req: Request, _res: Response, next: NextFunction) => next(keyCheck(req)),
  });
  const guards = { adminOnly: guard(adminOnly), defaultSession: guard(defaultSession), sessionInPath: guard(sessionInPath) };
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
    const routeGuard = route.ownSession ? guards.sessionInPath : accountRouteSet.has(route) ? guards.defaultSession : guards.adminOnly;
    const checks = !route.guarded ? [] : [route.rateLimited === false ? routeGuard.unlimited : routeGuard.limited];
    // The error handler closes each route too: an error raised in a route (every 400, 401 and 429)
    // is answered there, instead of Express matching it against each route declared after this one
    // on its way to the app's error handler. Same handler, same answer.
    app[method](route.path, ...checks, ...route.handlers, errorHandler);
  }
  if (sessions) {
    app.use(
      SESSION_PREFIX,
      guards.sessionInPath.limited,
      sessionDispatch(sessions, (runtime) => accountRoutes(runtime, shared)),
    );
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
