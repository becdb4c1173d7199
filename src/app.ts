/**
 * createApp(deps): the Express app, with no listen and no environment reads. Routes are declared
 * once in a table, which mounts them and feeds GET `/`'s `endpoints` list and the OpenAPI
 * document, so neither can drift from what the server really serves. Each routes module returns
 * its own part of the table; this file only puts them in order and adds the middleware.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { consoleRoutes, consoleSessionAuthenticator, skipLimitForConsoleSession } from './console/console-routes.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { Errors } from './errors/app-error.js';
import { requireApiKey } from './http/auth.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { VERSION, infoRoutes } from './http/info-routes.js';
import { linkingRoutes } from './http/linking-routes.js';
import { createRateLimiter } from './http/rate-limit.js';
import { requestContext } from './http/request-context.js';
import { recordsRoutes } from './records/records-routes.js';
import { webhookDeliveryRoutes } from './webhooks/webhook-routes.js';
import type { RouteSpec } from './http/route-spec.js';
import { sendRoutes } from './http/send-routes.js';
import { createMediaSource } from './media-source/media-source.js';
import { ALL_KINDS_SENDABLE, type MediaCapabilities, type SendableKinds } from './messaging/media-preparation.js';
import { DOCS_ASSETS_PATH, docsAssets, referenceRoutes } from './openapi/reference-routes.js';
import { metricsRoutes, requestCounter } from './metrics/http-metrics.js';
import { groupRoutes } from './groups/group-routes.js';
import { numberRoutes } from './numbers/number-routes.js';
import { kindRoutes } from './kinds/kind-routes.js';
import { changeRoutes } from './changes/change-routes.js';
import type { Services } from './services.js';
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
  /** True once graceful shutdown has begun: new requests get 503. */
  isShuttingDown?: () => boolean;
}

const API_DESCRIPTION =
  'Send WhatsApp messages (text, image, document, audio, video, sticker) through a linked account, keeping the v2.0.0 ' +
  'contract. Every route except GET /, GET /api/health, GET /api/openapi.json and GET /docs is rate limited per ' +
  'client IP and, when API_KEY is set, needs the key as `X-API-Key` or `Authorization: Bearer`. Every error has the ' +
  'body {"status":"error","message","timestamp","code"}.';

export function createApp(deps: AppDeps): express.Express {
  const { config, transport, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);
  // No per-response ETag on API answers; static pages set their own (src/http/etag.ts).
  app.set('etag', false);

  const { services } = deps;
  const mediaSource = createMediaSource({ uploadDir: config.uploadDir, ...config.mediaUrl });
  const features = { webhooks: services.dispatcher !== undefined, analytics: true };

  const routes: RouteSpec[] = [];
  const outboxRepository = services.outbox?.repository;
  const infoDeps = {
    config,
    transport,
    media: deps.media,
    sendable: deps.sendable ?? ALL_KINDS_SENDABLE,
    routes: () => routes,
    features,
    outboxUsage: outboxRepository ? () => outboxRepository.size() : undefined,
    webhookDeliveries: services.dispatcher ? services.webhookDeliveries : undefined,
    restriction: () => services.restrictions.current(),
  };
  const consoleSessions = new ConsoleSessions(config.consoleSessionMs);
  const isShuttingDown = () => deps.isShuttingDown?.() ?? false;
  routes.push(
    ...infoRoutes(infoDeps),
    ...referenceRoutes(() => routes, { title: 'WhatsApp Gateway API', version: VERSION, description: API_DESCRIPTION }),
    ...linkingRoutes(infoDeps),
    ...sendRoutes(config, { delivery: services.delivery, idempotency: services.idempotency }, mediaSource),
    ...kindRoutes({ ...services, sandbox: config.sandbox, defaultCountryCode: config.defaultCountryCode }),
    ...recordsRoutes({
      messages: services.messages,
      incoming: services.incoming,
      transport,
      defaultCountryCode: config.defaultCountryCode,
      changes: services.changes,
      pollTally: (id) => services.polls.tally(id),
    }),
    ...changeRoutes({ changes: services.changes, delivery: services.delivery, idempotency: services.idempotency, sandbox: config.sandbox }),
    ...webhookDeliveryRoutes(services.webhookDeliveries, services.dispatcher),
    ...groupRoutes({ transport, defaultCountryCode: config.defaultCountryCode }),
    ...numberRoutes({ transport, config }),
    ...consoleRoutes({ config, transport, sessions: consoleSessions, isShuttingDown }),
    ...metricsRoutes(services.metrics),
    ...(deps.extraRoutes ?? []),
  );

  app.use(requestContext(logger.child({ module: 'http' }), requestCounter(services.metrics)));
  if (config.sandbox) {
    // Every response of a sandbox gateway says so, errors included.
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('X-Gateway-Mode', 'sandbox');
      next();
    });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    // Health stays 200 while the process serves (the contract), even while it drains.
    if (isShuttingDown() && req.path !== '/api/health') {
      res.setHeader('Connection', 'close');
      return next(Errors.shuttingDown());
    }
    next();
  });

  // Swagger UI's own files for GET /docs: static assets, not API routes, so not in the table.
  app.use(DOCS_ASSETS_PATH, docsAssets);

  const limiter = createRateLimiter(config.rateLimit);
  // Rate limit before the key check, so guessing keys is throttled too.
  const keyCheck = requireApiKey(config.apiKeys, consoleSessionAuthenticator(consoleSessions));
  const guard = [skipLimitForConsoleSession(consoleSessions, limiter), keyCheck];
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
    const checks = !route.guarded ? [] : route.rateLimited === false ? [keyCheck] : guard;
    app[method](route.path, ...checks, ...route.handlers);
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
