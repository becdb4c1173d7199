/**
 * Counting at the few places every message, webhook delivery and conversion passes through, by
 * wrapping them rather than editing their code: the message records (every status a message takes,
 * from the HTTP path, the outbox and WhatsApp's receipts, goes through them exactly once, deduplicated
 * by their state machine) and the outbox, which writes a queued message's record with its job; the
 * webhook delivery log, and the media preparer.
 */
import type { MessageStatus } from '../domain/vocabulary.js';
import { Errors } from '../errors/app-error.js';
import type { MediaPreparer } from '../messaging/media-preparation.js';
import type { OutboxRepository } from '../outbox/outbox-repository.js';
import type { MessageRepository, StatusChange } from '../records/message-repository.js';
import type { WebhookDeliveryRepository } from '../webhooks/webhook-delivery-repository.js';
import type { SessionMetrics } from './gateway-metrics.js';

/** Catalogue messages a record's failure may carry, back to their codes; anything else is SEND_FAILED. */
const CODE_BY_MESSAGE = new Map([Errors.notConnected(), Errors.shuttingDown(), Errors.internal()].map((error) => [error.message, error.code]));

export function failureCode(reason: string | null): string {
  if (reason && CODE_BY_MESSAGE.has(reason)) return CODE_BY_MESSAGE.get(reason) ?? 'SEND_FAILED';
  if (reason?.startsWith('Outbox full')) return 'OUTBOX_FULL';
  return 'SEND_FAILED';
}

/** Server acks of messages already counted, so a repeated receipt is not counted twice. */
const ACKS_REMEMBERED = 10_000;

/*
 * The wrappers below inherit every method from the wrapped repository (Object.create) and override
 * only the ones that count, so a method added to a repository needs no change here.
 */
export function instrumentMessages(repository: MessageRepository, metrics: SessionMetrics): MessageRepository {
  const acked = new Set<string>();
  const count = (change: StatusChange | null, status: MessageStatus, receipt: boolean) => {
    if (!change) return;
    const { record } = change;
    // WhatsApp's server ack arrives as a "sent" status; counted once per id, even when the record had it already.
    if (receipt && status === 'sent' && record.waMessageId && !acked.has(record.waMessageId)) {
      acked.add(record.waMessageId);
      if (acked.size > ACKS_REMEMBERED) acked.delete(acked.values().next().value ?? '');
      metrics.message(record.type, 'acked');
    }
    if (!change.changed) return;
    if (record.status === 'sent') metrics.messageSent(record.type, (Date.now() - Date.parse(record.createdAt)) / 1000);
    else if (record.status === 'failed') metrics.messageFailed(record.type, failureCode(record.error));
    else if (record.status === 'delivered' || record.status === 'read') metrics.message(record.type, record.status);
  };
  return Object.assign(Object.create(repository) as MessageRepository, {
    async create(message: Parameters<MessageRepository['create']>[0]) {
      const record = await repository.create(message);
      metrics.message(record.type, 'accepted');
      return record;
    },
    async markStatus(waMessageId: string, status: MessageStatus, at?: Date, error?: string) {
      const change = await repository.markStatus(waMessageId, status, at, error);
      count(change, status, true);
      return change;
    },
    async markStatusById(id: string, status: MessageStatus, at?: Date, error?: string) {
      const change = await repository.markStatusById(id, status, at, error);
      count(change, status, false);
      return change;
    },
  });
}

/** A queued message's record is written by the outbox, with its job: accepted once both are in. */
export function instrumentOutbox(repository: OutboxRepository, metrics: SessionMetrics): OutboxRepository {
  return Object.assign(Object.create(repository) as OutboxRepository, {
    async enqueue(...args: Parameters<OutboxRepository['enqueue']>) {
      const job = await repository.enqueue(...args);
      const record = args[2];
      if (record) metrics.message(record.type, 'accepted');
      return job;
    },
  });
}

export function instrumentWebhookDeliveries(repository: WebhookDeliveryRepository, metrics: SessionMetrics): WebhookDeliveryRepository {
  return Object.assign(Object.create(repository) as WebhookDeliveryRepository, {
    async enqueue(...args: Parameters<WebhookDeliveryRepository['enqueue']>) {
      const deliveries = await repository.enqueue(...args);
      metrics.webhookDelivery('queued', deliveries.length);
      return deliveries;
    },
    async markDelivered(...args: Parameters<WebhookDeliveryRepository['markDelivered']>) {
      await repository.markDelivered(...args);
      metrics.webhookDelivery('delivered');
    },
    async markAttemptFailed(...args: Parameters<WebhookDeliveryRepository['markAttemptFailed']>) {
      await repository.markAttemptFailed(...args);
      metrics.webhookDelivery(args[1].nextAttemptAt === null ? 'failed' : 'retrying');
    },
  });
}

export function instrumentPreparer(preparer: MediaPreparer, metrics: SessionMetrics): MediaPreparer {
  return {
    ...preparer,
    capabilities: () => preparer.capabilities(),
    async prepare(input) {
      if (input.kind === 'document') return preparer.prepare(input); // sent as is: nothing converted
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const prepared = await preparer.prepare(input);
        metrics.mediaConversion(input.kind, 'converted', seconds());
        return prepared;
      } catch (error) {
        metrics.mediaConversion(input.kind, 'failed', seconds());
        throw error;
      }
    },
  };
}
