/**
 * The outbox's parts built from the configuration, and its worker attached to the delivery
 * service: a settled job frees its spooled media and tells webhook receivers the outcome, and a
 * reopened connection wakes the worker.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { OutboxParts } from '../messaging/delivery-service.js';
import type { SessionMetrics } from '../metrics/gateway-metrics.js';
import { instrumentOutbox } from '../metrics/instrument.js';
import type { OutboxSender } from './outbox-worker.js';
import { OutboxWorker } from './outbox-worker.js';
import type { MessageRecord, MessageRepository } from '../records/message-repository.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import { MediaSpool } from './media-spool.js';
import type { HoldPolicy, OutboxLimits, OutboxRepository } from './outbox-repository.js';

/**
 * `stores.outbox`: the session's outbox repository in its store (session-stores.ts). `always`
 * (cluster mode): built even without QUEUE_WHEN_DISCONNECTED, since sends accepted by other nodes
 * reach the session's driver through it.
 */
export function createOutbox(
  config: Config,
  stores: { outbox(limits: OutboxLimits): OutboxRepository },
  metrics: SessionMetrics,
  always = false,
): OutboxParts | undefined {
  if (!config.outbox.enabled && !always) return undefined;
  return {
    repository: instrumentOutbox(stores.outbox({ maxBytes: config.outbox.maxBytes, maxJobs: config.outbox.maxMessages }), metrics),
    spool: new MediaSpool(path.join(config.dataDir, 'outbox-media')),
    pacing: { perRecipientIntervalMs: config.pacing.perRecipientIntervalMs, perMinuteLimit: config.pacing.perMinuteLimit },
  };
}

export function attachOutboxWorker(
  outbox: OutboxParts,
  deps: {
    messages: MessageRepository;
    sender: OutboxSender;
    heldUntil: HoldPolicy;
    /** Told about each settled job's record (sent or failed). */
    onSettled: (record: MessageRecord) => void;
    logger: Logger;
  },
): OutboxWorker {
  const { messages } = deps;
  outbox.worker = new OutboxWorker({
    outbox: outbox.repository,
    messages,
    sender: deps.sender,
    pacing: outbox.pacing,
    logger: deps.logger,
    heldUntil: deps.heldUntil,
    onSettled: async ({ job }) => {
      // Media kept in the shared store went with the job's settling; a spooled file goes now.
      if (job.media?.path) await outbox.spool.remove(job.media.path);
      const record = await messages.get(job.messageId);
      if (record) deps.onSettled(record);
    },
  });
  return outbox.worker;
}

/** A reopened connection wakes the worker; returns the unsubscribe. */
export function wireOutbox(transport: WhatsAppTransport, outbox: OutboxParts): () => void {
  const onConnection = (status: { connected: boolean }) => {
    if (status.connected) outbox.worker?.kick();
  };
  transport.events.on('connection', onConnection);
  return () => transport.events.off('connection', onConnection);
}
