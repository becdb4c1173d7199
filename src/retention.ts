/**
 * How long the gateway keeps what it stores, in one place: one purge pass over every store,
 * run at start and hourly by services.ts.
 */
import type { MessageChangeRepository } from './changes/message-change-repository.js';
import type { Config } from './config/config.js';
import type { IdempotencyRepository } from './http/idempotency-repository.js';
import type { OutboxRepository } from './outbox/outbox-repository.js';
import type { IncomingMessageRepository } from './records/incoming-message-repository.js';
import type { MessageRepository } from './records/message-repository.js';
import type { WebhookDeliveryRepository } from './webhooks/webhook-delivery-repository.js';

const DAY = 24 * 60 * 60 * 1000;

export interface RetainedStores {
  idempotency: IdempotencyRepository;
  incoming: IncomingMessageRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  outbox?: OutboxRepository;
  sentContent: { purgeBefore(before: number): Promise<number> };
  retryCounters: { purgeExpired(): number | Promise<number> };
  messages: MessageRepository;
  /** Polls go with their message record. */
  polls?: { purgeOrphans(before: number): number | Promise<number> };
  changes: MessageChangeRepository;
}

export function purger(
  config: Pick<Config, 'messageContentRetentionDays' | 'messageRetentionDays' | 'incomingRetentionDays'>,
  stores: RetainedStores,
): () => Promise<void> {
  return async () => {
    const now = Date.now();
    await stores.idempotency.purgeExpired(now);
    await stores.incoming.purgeBefore(now - config.incomingRetentionDays * DAY);
    await stores.webhookDeliveries.purgeFinished(now - 30 * DAY);
    await stores.outbox?.purgeFinished(now - 7 * DAY);
    await stores.sentContent.purgeBefore(now - config.messageContentRetentionDays * DAY);
    await stores.retryCounters.purgeExpired();
    if (config.messageRetentionDays > 0) await stores.messages.purgeBefore(new Date(now - config.messageRetentionDays * DAY));
    // The same grace as change links: a poll is kept just before its record is written.
    await stores.polls?.purgeOrphans(now - 60 * 60 * 1000);
    // An hour's grace: a link is written just before its record.
    await stores.changes.purgeOrphans(now - 60 * 60 * 1000);
  };
}
