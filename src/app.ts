/**
 * createApp(deps): the Express app, with no listen and no environment reads. Routes are declared
 * once in a table, which both mounts them and feeds GET `/`'s `endpoints` list, so the list can
 * never drift from what the server really serves.
 */
import multer from 'multer';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { Errors } from './errors/app-error.js';
import { requireApiKey } from './http/auth.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { botStatus, health, logout, qrCode, serviceInfo, type RouteDescription } from './http/info-routes.js';
import { createRateLimiter } from './http/rate-limit.js';
import { requestContext } from './http/request-context.js';
import { analytics, downloadIncomingMedia, getMessage, listDeliveries, listMessages, replayDelivery } from './http/records-routes.js';
import { requireConnection, sendMediaHandler, sendTextHandler } from './http/send-routes.js';
import { uploadSingleFile } from './http/upload.js';
import { ALL_KINDS_SENDABLE, type MediaCapabilities, type SendableKinds } from './messaging/media-preparation.js';
import { MEDIA_KINDS } from './messaging/upload-policy.js';
import type { Services } from './services.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

export interface RouteSpec extends RouteDescription {
  method: 'GET' | 'POST' | 'DELETE';
  /** Behind the API key and the rate limit. */
  guarded: boolean;
  handlers: RequestHandler[];
}

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

const TEXT_BODY_LIMIT = '1mb';

const TEXT_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * A text message may come as JSON, a form, or multipart fields: PHP's curl sends an array body
 * as multipart/form-data, and v2.0.0 clients rely on that working.
 */
function textBodyParsers(): RequestHandler[] {
  const json = express.json({ limit: TEXT_BODY_LIMIT });
  const form = express.urlencoded({ extended: false, limit: TEXT_BODY_LIMIT });
  const fields = multer({ limits: { files: 0, fields: 20, fieldSize: 1024 * 1024 } }).none();
  const requireTextContentType: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(TEXT_TYPES)) {
      return next(Errors.unsupportedContentType('application/json, application/x-www-form-urlencoded or multipart/form-data'));
    }
    next();
  };
  const multipartFields: RequestHandler = (req, res, next) => (req.is('multipart/form-data') ? fields(req, res, next) : next());
  return [requireTextContentType, json, form, multipartFields];
}

export function createApp(deps: AppDeps): express.Express {
  const { config, transport, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);

  const { services } = deps;
  const { delivery } = services;
  const sendDeps = { delivery, idempotency: services.idempotency, defaultCountryCode: config.defaultCountryCode, sandbox: config.sandbox };
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
    restriction: () => services.restrictions.current(),
  };
  routes.push(
    { method: 'GET', path: '/', description: 'Service information', guarded: false, handlers: [serviceInfo(infoDeps)] },
    { method: 'GET', path: '/api/health', description: 'Health check', guarded: false, handlers: [health(infoDeps)] },
    { method: 'GET', path: '/api/status', description: 'Bot status', guarded: true, handlers: [botStatus(infoDeps)] },
    { method: 'GET', path: '/api/qr', description: 'QR code for linking WhatsApp', guarded: true, handlers: [qrCode(infoDeps)] },
    { method: 'POST', path: '/api/logout', description: 'Unlink the WhatsApp account (a new QR follows)', guarded: true, handlers: [logout(infoDeps)] },
    {
      method: 'POST',
      path: '/api/send-message',
      description: 'Send text message',
      guarded: true,
      handlers: [requireConnection(delivery), ...textBodyParsers(), sendTextHandler(sendDeps)],
    },
    ...MEDIA_KINDS.map((kind): RouteSpec => {
      const policy = config.uploads[kind];
      return {
        method: 'POST',
        path: policy.endpoint,
        description: policy.description,
        guarded: true,
        handlers: [requireConnection(delivery), uploadSingleFile(policy, config.uploadDir), sendMediaHandler(policy, sendDeps)],
      };
    }),
    { method: 'GET', path: '/api/messages', description: 'Message records with delivery status (filters, pagination)', guarded: true, handlers: [listMessages(services.messages, config.defaultCountryCode)] },
    { method: 'GET', path: '/api/messages/:id', description: 'One message record', guarded: true, handlers: [getMessage(services.messages)] },
    { method: 'GET', path: '/api/analytics', description: 'Message counts by type and status', guarded: true, handlers: [analytics(services.messages)] },
    {
      method: 'GET',
      path: '/api/media/:messageId',
      description: 'Download media of an incoming message',
      guarded: true,
      handlers: [downloadIncomingMedia(services.incoming, (raw) => transport.downloadIncomingMedia(raw))],
    },
    ...(services.dispatcher
      ? [
          { method: 'GET', path: '/api/webhooks/deliveries', description: 'Webhook delivery log', guarded: true, handlers: [listDeliveries(services.webhookDeliveries)] } as RouteSpec,
          {
            method: 'POST',
            path: '/api/webhooks/deliveries/:id/replay',
            description: 'Queue a webhook delivery again',
            guarded: true,
            handlers: [replayDelivery(services.dispatcher)],
          } as RouteSpec,
        ]
      : []),
    ...(deps.extraRoutes ?? []),
  );

  app.use(requestContext(logger.child({ module: 'http' })));
  if (config.sandbox) {
    // Every response of a sandbox gateway says so, errors included.
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('X-Gateway-Mode', 'sandbox');
      next();
    });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    // Health stays 200 while the process serves (the contract), even while it drains.
    if (deps.isShuttingDown?.() && req.path !== '/api/health') {
      res.setHeader('Connection', 'close');
      return next(Errors.shuttingDown());
    }
    next();
  });

  const limiter = createRateLimiter(config.rateLimit);
  // Rate limit before the key check, so guessing keys is throttled too.
  const guard = [limiter, requireApiKey(config.apiKeys)];
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
    app[method](route.path, ...(route.guarded ? guard : []), ...route.handlers);
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
