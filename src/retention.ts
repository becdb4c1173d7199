/**
 * How long the gateway keeps what it stores, in one place: one purge pass over every store,
 * run at start and hourly by services.ts.
 */
import type { Config } from './config/config.js';
import type { IdempotencyRepository } from './http/idempotency-repository.js';
import type { OutboxRepository } from './outbox/outbox-repository.js';
import type { IncomingMessageRepository } from './records/incoming-message-repository.js';
import type { MessageRepository } from './records/message-repository.js';
import type { SqliteRetryCounterRepository, SqliteSentContentRepository } from './records/sent-content-repository.js';
import type { WebhookDeliveryRepository } from './webhooks/webhook-delivery-repository.js';

const DAY = 24 * 60 * 60 * 1000;

export interface RetainedStores {
  idempotency: IdempotencyRepository;
  incoming: IncomingMessageRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  outbox?: OutboxRepository;
  sentContent: SqliteSentContentRepository;
  retryCounters: SqliteRetryCounterRepository;
  messages: MessageRepository;
  /** Polls go with their message record. */
  polls?: { purgeOrphans(): number };
  /** Ids and senders of received messages (what a reaction may name). */
  received?: { purgeBefore(time: number): number };
}

export function purger(config: Pick<Config, 'messageContentRetentionDays' | 'messageRetentionDays'>, stores: RetainedStores): () => Promise<void> {
  return async () => {
    const now = Date.now();
    await stores.idempotency.purgeExpired(now);
    await stores.incoming.purgeBefore(now - 30 * DAY);
    await stores.webhookDeliveries.purgeFinished(now - 30 * DAY);
    await stores.outbox?.purgeFinished(now - 7 * DAY);
    await stores.sentContent.purgeBefore(now - config.messageContentRetentionDays * DAY);
    stores.retryCounters.purgeExpired();
    if (config.messageRetentionDays > 0) await stores.messages.purgeBefore(new Date(now - config.messageRetentionDays * DAY));
    stores.polls?.purgeOrphans();
    stores.received?.purgeBefore(now - 30 * DAY);
  };
}
