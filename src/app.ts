/**
 * createApp(deps): the Express app, with no listen and no environment reads. Routes are declared
 * once in a table, which mounts them and feeds GET `/`'s `endpoints` list and the OpenAPI
 * document, so neither can drift from what the server really serves.
 */
import multer from 'multer';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { consoleRoutes, consoleSessionAuthenticator, skipLimitForConsoleSession } from './console/console-routes.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { Errors } from './errors/app-error.js';
import { requireApiKey } from './http/auth.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { formOrJsonBody } from './http/form-json.js';
import { VERSION, botStatus, health, logout, serviceInfo } from './http/info-routes.js';
import { botStatusDoc, healthDoc, logoutDoc, pairingCodeDoc, qrDoc, serviceInfoDoc } from './http/info-schemas.js';
import { pairingCode, qrCode } from './http/linking-routes.js';
import { createRateLimiter } from './http/rate-limit.js';
import { requestContext } from './http/request-context.js';
import { analytics, downloadIncomingMedia, getMessage, listDeliveries, listMessages, replayDelivery } from './http/records-routes.js';
import * as records from './http/records-schemas.js';
import { requireConnection, sendMediaHandler, sendTextHandler } from './http/send-routes.js';
import { sendMediaDoc, sendTextDoc, sendTextFields, uploadFields } from './http/send-schemas.js';
import { uploadSingleFile } from './http/upload.js';
import { groupRoutes } from './groups/group-routes.js';
import { createMediaSource } from './media-source/media-source.js';
import { ALL_KINDS_SENDABLE, type MediaCapabilities, type SendableKinds } from './messaging/media-preparation.js';
import { MEDIA_KINDS } from './messaging/upload-policy.js';
import { DOCS_ASSETS_PATH, DOCS_PATH, OPENAPI_PATH, docsAssets, docsPage, docsPageDoc, openApiDoc, openApiDocument } from './openapi/reference-routes.js';
import type { DocumentedRoute } from './openapi/route-doc.js';
import { countRequests, metricsDoc, metricsHandler } from './metrics/http-metrics.js';
import { numberRoutes } from './numbers/number-routes.js';
import type { Services } from './services.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

/**
 * One entry of the route table. Besides method, path and handlers, a route must say what it is
 * (`description`, one line: GET `/`'s endpoints list and the operation's summary) and carry its
 * `doc` (src/openapi/route-doc.ts): its tag, success responses, error codes, and the zod schemas
 * of its parameters and body, which are the ones its handlers validate with.
 */
export interface RouteSpec extends DocumentedRoute {
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

const API_DESCRIPTION =
  'Send WhatsApp messages (text, image, document, audio, video, sticker) through a linked account, keeping the v2.0.0 ' +
  'contract. Every route except GET /, GET /api/health, GET /api/openapi.json and GET /docs is rate limited per ' +
  'client IP and, when API_KEY is set, needs the key as `X-API-Key` or `Authorization: Bearer`. Every error has the ' +
  'body {"status":"error","message","timestamp","code"}.';

const TEXT_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * A text message may come as JSON, a form, or multipart fields: PHP's curl sends an array body
 * as multipart/form-data, and v2.0.0 clients rely on that working.
 */
function textBodyParsers(): RequestHandler[] {
  const json = express.json({ limit: TEXT_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  const form = formOrJsonBody(TEXT_BODY_LIMIT);
  const fields = multer({ limits: { files: 0, fields: 20, fieldSize: 1024 * 1024 } }).none();
  const requireTextContentType: RequestHandler = (req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(TEXT_TYPES)) {
      return next(Errors.unsupportedContentType('application/json, application/x-www-form-urlencoded or multipart/form-data'));
    }
    next();
  };
  const multipartFields: RequestHandler = (req, res, next) => (req.is('multipart/form-data') ? fields(req, res, next) : next());
  return [requireTextContentType, json, ...form, multipartFields];
}

export function createApp(deps: AppDeps): express.Express {
  const { config, transport, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);

  const { services } = deps;
  const { delivery } = services;
  const sendDeps = { delivery, idempotency: services.idempotency, sandbox: config.sandbox };
  const cc = config.defaultCountryCode;
  const textFields = sendTextFields(cc);
  const messagesQuery = records.listMessagesQuery(cc);
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
    { method: 'GET', path: '/', description: 'Service information', guarded: false, doc: serviceInfoDoc, handlers: [serviceInfo(infoDeps)] },
    { method: 'GET', path: '/api/health', description: 'Health check', guarded: false, doc: healthDoc, handlers: [health(infoDeps)] },
    {
      method: 'GET',
      path: OPENAPI_PATH,
      description: 'OpenAPI 3.1 document of this API',
      guarded: false,
      doc: openApiDoc,
      handlers: [openApiDocument(() => routes, { title: 'WhatsApp Gateway API', version: VERSION, description: API_DESCRIPTION })],
    },
    { method: 'GET', path: DOCS_PATH, description: 'API reference page', guarded: false, doc: docsPageDoc, handlers: [docsPage] },
    { method: 'GET', path: '/api/status', description: 'Bot status', guarded: true, doc: botStatusDoc, handlers: [botStatus(infoDeps)] },
    { method: 'GET', path: '/api/qr', description: 'QR code for linking WhatsApp', guarded: true, doc: qrDoc, handlers: [qrCode(infoDeps)] },
    {
      method: 'POST',
      path: '/api/pairing-code',
      description: 'Pairing code to link WhatsApp by phone number instead of a QR',
      guarded: true,
      doc: pairingCodeDoc(config.defaultCountryCode),
      handlers: [...textBodyParsers(), pairingCode({ transport, defaultCountryCode: config.defaultCountryCode })],
    },
    { method: 'POST', path: '/api/logout', description: 'Unlink the WhatsApp account (a new QR follows)', guarded: true, doc: logoutDoc, handlers: [logout(infoDeps)] },
    {
      method: 'POST',
      path: '/api/send-message',
      description: 'Send text message',
      guarded: true,
      doc: sendTextDoc(textFields),
      handlers: [requireConnection(delivery), ...textBodyParsers(), sendTextHandler(sendDeps, textFields)],
    },
    ...MEDIA_KINDS.map((kind): RouteSpec => {
      const policy = config.uploads[kind];
      const fields = uploadFields(policy, cc);
      return {
        method: 'POST',
        path: policy.endpoint,
        description: policy.description,
        guarded: true,
        doc: sendMediaDoc(policy, fields),
        handlers: [requireConnection(delivery), uploadSingleFile(policy, config.uploadDir, mediaSource), sendMediaHandler(policy, sendDeps, fields)],
      };
    }),
    {
      method: 'GET',
      path: '/api/messages',
      description: 'Message records with delivery status (filters, pagination)',
      guarded: true,
      doc: records.listMessagesDoc(messagesQuery),
      handlers: [listMessages(services.messages, messagesQuery)],
    },
    { method: 'GET', path: '/api/messages/:id', description: 'One message record', guarded: true, doc: records.getMessageDoc, handlers: [getMessage(services.messages)] },
    {
      method: 'GET',
      path: '/api/analytics',
      description: 'Message counts by type and status',
      guarded: true,
      doc: records.analyticsDoc,
      handlers: [analytics(services.messages, records.analyticsQuery)],
    },
    {
      method: 'GET',
      path: '/api/media/:messageId',
      description: 'Download media of an incoming message',
      guarded: true,
      doc: records.downloadMediaDoc,
      handlers: [downloadIncomingMedia(services.incoming, (raw) => transport.downloadIncomingMedia(raw))],
    },
    ...(services.dispatcher
      ? [
          {
            method: 'GET',
            path: '/api/webhooks/deliveries',
            description: 'Webhook delivery log',
            guarded: true,
            doc: records.listDeliveriesDoc,
            handlers: [listDeliveries(services.webhookDeliveries, records.deliveriesQuery)],
          } as RouteSpec,
          {
            method: 'POST',
            path: '/api/webhooks/deliveries/:id/replay',
            description: 'Queue a webhook delivery again',
            guarded: true,
            doc: records.replayDeliveryDoc,
            handlers: [replayDelivery(services.dispatcher)],
          } as RouteSpec,
        ]
      : []),
    ...groupRoutes({ transport, defaultCountryCode: cc }),
    ...numberRoutes({ transport, config }),
    ...consoleRoutes({ config, transport, sessions: consoleSessions, isShuttingDown }),
    {
      method: 'GET',
      path: '/metrics',
      description: 'Prometheus metrics',
      guarded: true,
      // Scrapes come every few seconds: behind the key (a scraper sends it as Bearer), not rate limited.
      rateLimited: false,
      doc: metricsDoc,
      handlers: [metricsHandler(services.metrics)],
    },
    ...(deps.extraRoutes ?? []),
  );

  app.use(requestContext(logger.child({ module: 'http' })));
  app.use(countRequests(services.metrics));
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
