/**
 * The gateway's services around one SQLite store: message records, the outbox and its worker,
 * idempotency keys, webhooks, and the wiring from WhatsApp events to them. Built once by
 * gateway.ts (and by the component tests), started after the transport exists, stopped on
 * shutdown after HTTP has drained.
 */
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { IdempotencyRepository } from './http/idempotency-repository.js';
import { createGatewayMetrics, type SessionMetrics } from './metrics/gateway-metrics.js';
import { instrumentMessages, instrumentPreparer, instrumentWebhookDeliveries } from './metrics/instrument.js';
import { ChangeService } from './changes/change-service.js';
import { AccountRestrictions } from './messaging/account-restrictions.js';
import { DeliveryService, type OutboxParts } from './messaging/delivery-service.js';
import type { MediaPreparer } from './messaging/media-preparation.js';
import { MessageSender } from './messaging/message-sender.js';
import { ReplyContexts } from './messaging/reply-context.js';
import { SendAddressing } from './messaging/send-addressing.js';
import { attachOutboxWorker, createOutbox, wireOutbox } from './outbox/outbox-wiring.js';
import type { IncomingMessageRepository } from './records/incoming-message-repository.js';
import type { MessageRepository } from './records/message-repository.js';
import { publishRecordStatus, wireRecords } from './records/records-wiring.js';
import { contentCipher } from './records/sent-content-cipher.js';
import { purger } from './retention.js';
import { MessageTargets } from './kinds/message-target.js';
import type { PollStore } from './kinds/poll-store.js';
import { wireKinds } from './kinds/kinds-wiring.js';
import { DEFAULT_SESSION } from './sessions/session-name.js';
import { embeddedStores, type SessionStores } from './sessions/session-stores.js';
import type { SqliteDatabase } from './store/database.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import type { WebhookDeliveryRepository } from './webhooks/webhook-delivery-repository.js';
import { createDispatcher, publisher, wireWebhooks } from './webhooks/webhook-wiring.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

export interface Services {
  delivery: DeliveryService;
  messages: MessageRepository;
  idempotency: IdempotencyRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  incoming: IncomingMessageRepository;
  dispatcher?: WebhookDispatcher;
  /** The outbox as configured (QUEUE_WHEN_DISCONNECTED); in cluster mode one runs regardless (kickOutbox). */
  outbox?: OutboxParts;
  /** Cluster mode: a job was enqueued (on any node) while this node drives the session; send it now. */
  kickOutbox(): void;
  /** This session's metric hooks; `metrics.gateway` is the process's registry (GET /metrics). */
  metrics: SessionMetrics;
  restrictions: AccountRestrictions;
  /** Polls we sent and their votes (send-poll, the tally in GET /api/messages/:id). */
  polls: PollStore;
  /** The messages a reaction may name (send-reaction). */
  targets: MessageTargets;
  /** Edits and deletes of sent messages (src/changes/). */
  changes: ChangeService;
  /**
   * Wires the listeners and the purge. `parked` (cluster mode): the parts that act on the session's
   * shared data as its driver (recovering interrupted requests and outbox jobs, the outbox worker,
   * the webhook dispatcher) wait for drive(), so a node that does not hold the lease never touches them.
   */
  start(options?: { parked?: boolean }): Promise<void>;
  /** Cluster mode, on taking the session's lease: recover what the last driver left, then send. */
  drive(): Promise<void>;
  /** Cluster mode, before the socket closes on a handover: no outbox sends, no webhook deliveries. */
  park(): Promise<void>;
  /** First step of shutdown: no new outbox sends; the one in flight finishes. */
  stopSending(): Promise<void>;
  /** Last step, after the WhatsApp socket has closed: receipts that came until then are recorded. */
  stop(): Promise<void>;
}

export function createServices(deps: {
  config: Config;
  db: SqliteDatabase;
  transport: WhatsAppTransport;
  preparer: MediaPreparer;
  logger: Logger;
  /**
   * Where the session's data lives (session-stores.ts): its SQLite file (`db`) when not given. The
   * transport must use the same sent content store (replies quote our own messages from it).
   */
  stores?: SessionStores;
  /** Where this session's routes live (`/api`, or `/api/sessions/<name>`): media links in events. */
  apiBase?: string;
  /**
   * This session's hooks into the process's metrics (`gateway.forSession(name)`); without it
   * (component tests) a registry of its own, counting as the default session.
   */
  metrics?: SessionMetrics;
}): Services {
  const { config, db, transport, logger } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics().forSession(DEFAULT_SESSION);
  const stores = deps.stores ?? embeddedStores(db, contentCipher(config));
  const messages = instrumentMessages(stores.messages, metrics);
  const { idempotency, incoming, polls, sentContent } = stores;
  const webhookDeliveries = instrumentWebhookDeliveries(stores.webhookDeliveries, metrics);
  const sender = new MessageSender(transport, instrumentPreparer(deps.preparer, metrics), logger.child({ module: 'sender' }));

  const routing = stores.routing?.(config.sendAckTimeoutMs);
  // Cluster mode: the shared outbox carries other nodes' sends to this one even when this node
  // does not queue its own (QUEUE_WHEN_DISCONNECTED off); `queueing` is what the config asked for.
  const outbox = createOutbox(config, stores, metrics, routing !== undefined);
  const queueing = config.outbox.enabled ? outbox : undefined;
  const dispatcher = createDispatcher(config, webhookDeliveries, logger);
  const publish = publisher(dispatcher, logger);
  const publishRecord = (record: Parameters<typeof publishRecordStatus>[0]) => publishRecordStatus(record, publish);
  const restrictions = new AccountRestrictions(stores.restrictions);
  const replies = new ReplyContexts({ messages, incoming, sentContent, accountJid: () => transport.status().account?.jid });
  const delivery = new DeliveryService({
    transport,
    sender,
    messages,
    outbox: queueing,
    restrictions,
    logger: logger.child({ module: 'delivery' }),
    onStatusChange: (change) => publishRecord(change.record),
    addressing: new SendAddressing(transport, replies),
    routing: routing && outbox ? { via: routing, outbox, uploads: config.uploads } : undefined,
  });
  const changeRepository = stores.changes;
  const changes = new ChangeService({ messages, incoming, changes: changeRepository, delivery });
  if (outbox) {
    attachOutboxWorker(outbox, {
      messages,
      sender: delivery.outboxSender(),
      heldUntil: (jid) => restrictions.heldUntil(jid),
      onSettled: publishRecord,
      logger,
    });
    // The shared store learns the established chats again after a restriction: a held send may go.
    stores.restrictions.watch?.(() => outbox.worker?.kick());
  }

  const apiBase = deps.apiBase ?? '/api';
  const downloadUrl = (messageId: string) => `${config.publicUrl}${apiBase}/media/${encodeURIComponent(messageId)}`;
  const log = (what: string) => (error: unknown) => logger.error({ err: error }, what);
  const purge = purger(config, {
    idempotency,
    incoming,
    webhookDeliveries,
    outbox: outbox?.repository,
    sentContent,
    retryCounters: stores.retryCounters,
    messages,
    polls,
    changes: changeRepository,
  });
  const drive = async () => {
    // A request a crash cut off: its key resumes its record (replayed if it went out, finished if
    // not), or is released when the request never got as far as a record.
    const interrupted = await idempotency.recoverInterrupted();
    if (interrupted.resumable + interrupted.released > 0) logger.info(interrupted, 'idempotency keys of requests interrupted by a restart resolved');
    if (outbox) {
      // Media of jobs that a crash left without a row (or rows without media) is cleaned first.
      await outbox.spool.sweepOrphans(await outbox.repository.referencedMediaPaths());
      await outbox.worker?.start();
    }
    dispatcher?.start();
  };
  let purgeTimer: NodeJS.Timeout | undefined;
  let stopObserving: (() => void) | undefined;
  const unwire: Array<() => void> = [];

  return {
    delivery,
    messages,
    idempotency,
    webhookDeliveries,
    incoming,
    dispatcher,
    outbox: queueing,
    kickOutbox: () => outbox?.worker?.kick(),
    metrics,
    restrictions,
    polls,
    targets: new MessageTargets(messages, incoming),
    changes,
    async start(options) {
      stopObserving = metrics.observe({
        transport,
        outbox: outbox ? () => outbox.repository.size() : undefined,
        webhookBacklog: dispatcher ? () => webhookDeliveries.countPending() : undefined,
      });
      // The outbox's listener first: a reopened connection wakes the worker before receivers hear of it.
      if (outbox) unwire.push(wireOutbox(transport, outbox));
      unwire.push(wireRecords(transport, { messages, incoming, publish, downloadUrl, logger }));
      unwire.push(wireWebhooks(transport, { publish, restrictions, logger }));
      unwire.push(wireKinds(transport, { polls, publish, logger }));
      if (!options?.parked) await drive();
      await purge().catch(log('purge failed'));
      purgeTimer = setInterval(() => void purge().catch(log('purge failed')), 60 * 60 * 1000);
      purgeTimer.unref();
    },
    drive,
    async park() {
      // Both at once: a worker waiting on an unreachable database must not keep webhooks going.
      await Promise.all([outbox?.worker?.stop(), dispatcher?.stop()]);
    },
    async stopSending() {
      await outbox?.worker?.stop();
    },
    async stop() {
      clearInterval(purgeTimer);
      await outbox?.worker?.stop();
      for (const off of unwire.splice(0).reverse()) off();
      stopObserving?.();
      await dispatcher?.stop();
    },
  };
}
