/**
 * Webhooks as the rest of the gateway sees them: a dispatcher when URLs are configured, a
 * `publish` that never throws (a failure to queue an event is logged, never a failed send), and
 * the account-level events (connection phases, restrictions) turned into webhook events.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { AccountRestrictions } from '../messaging/account-restrictions.js';
import type { AccountRestriction } from '../whatsapp/account-restriction.js';
import type { GroupUpdate } from '../whatsapp/group-port.js';
import type { ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';
import { WebhookDispatcher } from './dispatcher.js';
import { accountRestrictedEvent, connectionUpdateEvent, groupUpdateEvent, type WebhookEvent } from './events.js';
import type { WebhookDeliveryRepository } from './webhook-delivery-repository.js';

/**
 * An event, or what builds it: a builder runs only when a dispatcher will queue the event, so a
 * gateway without webhook URLs does none of that work on the send path (ids, timestamps, bodies).
 */
export type Publish = (event: WebhookEvent | (() => WebhookEvent)) => void;

export function createDispatcher(config: Config, repository: WebhookDeliveryRepository, logger: Logger): WebhookDispatcher | undefined {
  if (config.webhooks.urls.length === 0) return undefined;
  return new WebhookDispatcher({
    repository,
    urls: config.webhooks.urls,
    secret: config.webhooks.secret,
    timeoutMs: config.webhooks.timeoutMs,
    maxAttempts: config.webhooks.maxAttempts,
    backoff: { baseMs: config.webhooks.backoffBaseMs, maxMs: Math.max(config.webhooks.backoffBaseMs, 30 * 60_000) },
    logger,
  });
}

export function publisher(dispatcher: WebhookDispatcher | undefined, logger: Logger): Publish {
  if (!dispatcher) return () => {};
  return (event) => {
    const built = typeof event === 'function' ? event() : event;
    dispatcher.publish(built).catch((error: unknown) => logger.error({ err: error, event: built.event }, 'could not queue webhook event'));
  };
}

/** Connection phases, account restrictions and group changes reach webhook receivers; returns the unsubscribe. */
export function wireWebhooks(transport: WhatsAppTransport, deps: { publish: Publish; restrictions: AccountRestrictions; logger: Logger }): () => void {
  const { publish, restrictions, logger } = deps;
  let lastPhase: string | undefined;
  const onConnection = (status: ConnectionStatus) => {
    if (status.phase === lastPhase) return; // status is re-emitted on every change; tell receivers about phases
    lastPhase = status.phase;
    publish(connectionUpdateEvent(status));
  };
  const onRestricted = (report: AccountRestriction) => {
    const active = restrictions.restrict(report);
    logger.error({ code: report.code, until: active.until }, 'WhatsApp restricted the account: sends to new contacts are paused until the restriction ends');
    publish(accountRestrictedEvent(report, active));
  };
  const onGroupUpdate = (update: GroupUpdate) => publish(groupUpdateEvent(update));
  transport.events.on('connection', onConnection);
  transport.events.on('account-restricted', onRestricted);
  transport.events.on('group-update', onGroupUpdate);
  return () => {
    transport.events.off('group-update', onGroupUpdate);
    transport.events.off('account-restricted', onRestricted);
    transport.events.off('connection', onConnection);
  };
}
