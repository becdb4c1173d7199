/**
 * The routes that act on one WhatsApp account (status, QR, sends, records, groups, ...), built for
 * one session from its own transport and services. The default session's are served at their
 * v2.0.0 paths; every session's at `/api/sessions/:session/...` (src/sessions/session-dispatch.ts).
 */
import type { Config } from './config/config.js';
import type { InfoDeps } from './http/info-routes.js';
import { linkingRoutes } from './http/linking-routes.js';
import type { RouteSpec } from './http/route-spec.js';
import { sendRoutes } from './http/send-routes.js';
import type { MediaSource } from './media-source/media-source.js';
import type { MediaCapabilities, SendableKinds } from './messaging/media-preparation.js';
import { recordsRoutes } from './records/records-routes.js';
import { webhookDeliveryRoutes } from './webhooks/webhook-routes.js';
import { groupRoutes } from './groups/group-routes.js';
import { numberRoutes } from './numbers/number-routes.js';
import { kindRoutes } from './kinds/kind-routes.js';
import { changeRoutes } from './changes/change-routes.js';
import type { Services } from './services.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

/** What one session brings: its configuration (folders, webhooks), socket and services. */
export interface AccountParts {
  config: Config;
  transport: WhatsAppTransport;
  services: Services;
}

/** What every session shares: the media tools and where media by URL or base64 is read from. */
export interface SharedParts {
  media: MediaCapabilities;
  sendable: SendableKinds;
  mediaSource: MediaSource;
  /** The whole route table (for GET `/`). */
  routes: InfoDeps['routes'];
}

export function accountInfoDeps(account: AccountParts, shared: SharedParts): InfoDeps {
  const { config, transport, services } = account;
  const outboxRepository = services.outbox?.repository;
  return {
    config,
    transport,
    media: shared.media,
    sendable: shared.sendable,
    routes: shared.routes,
    features: { webhooks: services.dispatcher !== undefined, analytics: true },
    outboxUsage: outboxRepository ? () => outboxRepository.size() : undefined,
    webhookDeliveries: services.dispatcher ? services.webhookDeliveries : undefined,
    restriction: () => services.restrictions.current(),
  };
}

export function accountRoutes(account: AccountParts, shared: SharedParts): RouteSpec[] {
  const { config, transport, services } = account;
  return [
    ...linkingRoutes(accountInfoDeps(account, shared)),
    ...sendRoutes(config, { delivery: services.delivery, idempotency: services.idempotency }, shared.mediaSource),
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
  ];
}
