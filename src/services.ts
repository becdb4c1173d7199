/**
 * The gateway's services around one SQLite store: message records, the outbox and its worker,
 * idempotency keys, webhooks, and the wiring from WhatsApp events to them. Built once by
 * gateway.ts (and by the component tests), started after the transport exists, stopped on
 * shutdown after HTTP has drained.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.js';
import { instrumentMessages, instrumentPreparer, instrumentWebhookDeliveries } from './metrics/instrument.js';
import { AccountRestrictions } from './messaging/account-restrictions.js';
import { DeliveryService, type OutboxParts } from './messaging/delivery-service.js';
import type { MediaPreparer } from './messaging/media-preparation.js';
import { MessageSender } from './messaging/message-sender.js';
import type { SqliteDatabase } from './store/database.js';
import { SqliteIdempotencyRepository, type IdempotencyRepository } from './store/idempotency-repository.js';
import { SqliteIncomingMessageRepository, type IncomingMessageRepository } from './store/incoming-message-repository.js';
import { MediaSpool } from './store/media-spool.js';
import { SqliteMessageRepository, toMessageStatus, type MessageRecord, type MessageRepository } from './store/message-repository.js';
import { SqliteOutboxRepository } from './store/outbox-repository.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from './store/sent-content-repository.js';
import { OutboxWorker } from './store/outbox-worker.js';
import { SqliteWebhookDeliveryRepository, type WebhookDeliveryRepository } from './store/webhook-delivery-repository.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { accountRestrictedEvent, connectionUpdateEvent, groupUpdateEvent, incomingMessageEvent, messageStatusEvent } from './webhooks/events.js';
import type { AccountRestriction } from './whatsapp/account-restriction.js';
import type { WhatsAppTransport } from './whatsapp/transport.js';

export interface Services {
  delivery: DeliveryService;
  messages: MessageRepository;
  idempotency: IdempotencyRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  incoming: IncomingMessageRepository;
  dispatcher?: WebhookDispatcher;
  outbox?: OutboxParts;
  /** This gateway's Prometheus registry and hooks (GET /metrics). */
  metrics: GatewayMetrics;
  restrictions: AccountRestrictions;
  start(): Promise<void>;
  /** First step of shutdown: no new outbox sends; the one in flight finishes. */
  stopSending(): Promise<void>;
  /** Last step, after the WhatsApp socket has closed: receipts that came until then are recorded. */
  stop(): Promise<void>;
}

const DAY = 24 * 60 * 60 * 1000;

export function createServices(deps: {
  config: Config;
  db: SqliteDatabase;
  transport: WhatsAppTransport;
  preparer: MediaPreparer;
  logger: Logger;
}): Services {
  const { config, db, transport, logger } = deps;
  const metrics = createGatewayMetrics();
  const messages = instrumentMessages(new SqliteMessageRepository(db), metrics);
  const idempotency = new SqliteIdempotencyRepository(db);
  const webhookDeliveries = instrumentWebhookDeliveries(new SqliteWebhookDeliveryRepository(db), metrics);
  const incoming = new SqliteIncomingMessageRepository(db);
  const sender = new MessageSender(transport, instrumentPreparer(deps.preparer, metrics), logger.child({ module: 'sender' }));

  const outbox: OutboxParts | undefined = config.outbox.enabled
    ? {
        repository: new SqliteOutboxRepository(db, { maxBytes: config.outbox.maxBytes, maxJobs: config.outbox.maxMessages }),
        spool: new MediaSpool(path.join(config.dataDir, 'outbox-media')),
        pacing: { perRecipientIntervalMs: config.pacing.perRecipientIntervalMs, perMinuteLimit: config.pacing.perMinuteLimit },
      }
    : undefined;
  const publish = (event: Parameters<WebhookDispatcher['publish']>[0]) => {
    dispatcher?.publish(event).catch((error: unknown) => logger.error({ err: error, event: event.event }, 'could not queue webhook event'));
  };
  // Statuses the gateway gives records itself (sent, failed) reach webhook receivers like those
  // from WhatsApp's receipts: a client that got a 202 must learn that its message failed.
  const publishRecord = (record: MessageRecord) => {
    if (!record.waMessageId || (record.status !== 'sent' && record.status !== 'failed')) return;
    publish(messageStatusEvent({ messageId: record.waMessageId, jid: record.jid, status: record.status, error: record.error ?? undefined }, record.id));
  };
  const restrictions = new AccountRestrictions(db);
  const delivery = new DeliveryService({
    transport,
    sender,
    messages,
    outbox,
    restrictions,
    logger: logger.child({ module: 'delivery' }),
    onStatusChange: (change) => publishRecord(change.record),
  });

  const dispatcher =
    config.webhooks.urls.length > 0
      ? new WebhookDispatcher({
          repository: webhookDeliveries,
          urls: config.webhooks.urls,
          secret: config.webhooks.secret,
          timeoutMs: config.webhooks.timeoutMs,
          maxAttempts: config.webhooks.maxAttempts,
          backoff: { baseMs: config.webhooks.backoffBaseMs, maxMs: Math.max(config.webhooks.backoffBaseMs, 30 * 60_000) },
          logger,
        })
      : undefined;

  if (outbox) {
    outbox.worker = new OutboxWorker({
      outbox: outbox.repository,
      messages,
      sender: delivery.outboxSender(),
      pacing: outbox.pacing,
      logger,
      heldUntil: (jid) => restrictions.heldUntil(jid),
      onSettled: async ({ job }) => {
        if (job.media) await outbox.spool.remove(job.media.path);
        const record = await messages.get(job.messageId);
        if (record) publishRecord(record);
      },
    });
  }

  const downloadUrl = (messageId: string) => `${config.publicUrl}/api/media/${encodeURIComponent(messageId)}`;

  let lastPhase: string | undefined;
  const onConnection = (status: Parameters<typeof connectionUpdateEvent>[0]) => {
    if (status.connected) outbox?.worker?.kick();
    if (status.phase === lastPhase) return; // status is re-emitted on every change; tell receivers about phases
    lastPhase = status.phase;
    publish(connectionUpdateEvent(status));
  };
  const onStatus = async (update: Parameters<typeof messageStatusEvent>[0]) => {
    const change = await messages.markStatus(update.messageId, toMessageStatus(update.status), new Date(), update.error);
    // Only our own messages, and only real progress, reach the receivers.
    if (change?.changed) publish(messageStatusEvent(update, change.record.id));
  };
  const onIncoming = async (message: Parameters<typeof incomingMessageEvent>[0]) => {
    if (message.media) {
      await incoming.save({ messageId: message.messageId, fromJid: message.from, type: message.type, raw: message.raw, receivedAt: Date.now() });
    }
    publish(incomingMessageEvent(message, message.media ? downloadUrl : undefined));
  };
  const onRestricted = (report: AccountRestriction) => {
    const active = restrictions.restrict(report);
    logger.error({ code: report.code, until: active.until }, 'WhatsApp restricted the account: sends to new contacts are paused until the restriction ends');
    publish(accountRestrictedEvent(report, active));
  };
  const onGroupUpdate = (update: Parameters<typeof groupUpdateEvent>[0]) => publish(groupUpdateEvent(update));
  const log = (what: string) => (error: unknown) => logger.error({ err: error }, what);
  const statusListener = (u: Parameters<typeof onStatus>[0]) => void onStatus(u).catch(log('could not record a delivery status'));
  const incomingListener = (m: Parameters<typeof onIncoming>[0]) => void onIncoming(m).catch(log('could not handle an incoming message'));

  const sentContent = new SqliteSentContentRepository(db);
  const retryCounters = new SqliteRetryCounterRepository(db, 0);
  let purgeTimer: NodeJS.Timeout | undefined;
  let stopObserving: (() => void) | undefined;
  const purge = async () => {
    const now = Date.now();
    await idempotency.purgeExpired(now);
    await incoming.purgeBefore(now - 30 * DAY);
    await webhookDeliveries.purgeFinished(now - 30 * DAY);
    await outbox?.repository.purgeFinished(now - 7 * DAY);
    await sentContent.purgeBefore(now - config.messageContentRetentionDays * DAY);
    retryCounters.purgeExpired();
    if (config.messageRetentionDays > 0) await messages.purgeBefore(new Date(now - config.messageRetentionDays * DAY));
  };

  return {
    delivery,
    messages,
    idempotency,
    webhookDeliveries,
    incoming,
    dispatcher,
    outbox,
    metrics,
    restrictions,
    async start() {
      stopObserving = metrics.observe({
        transport,
        outbox: outbox ? () => outbox.repository.size() : undefined,
        webhookBacklog: dispatcher ? () => webhookDeliveries.countPending() : undefined,
      });
      transport.events.on('connection', onConnection);
      transport.events.on('message-status', statusListener);
      transport.events.on('incoming-message', incomingListener);
      transport.events.on('account-restricted', onRestricted);
      transport.events.on('group-update', onGroupUpdate);
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
      await purge().catch(log('purge failed'));
      purgeTimer = setInterval(() => void purge().catch(log('purge failed')), 60 * 60 * 1000);
      purgeTimer.unref();
    },
    async stopSending() {
      await outbox?.worker?.stop();
    },
    async stop() {
      clearInterval(purgeTimer);
      await outbox?.worker?.stop();
      transport.events.off('message-status', statusListener);
      transport.events.off('incoming-message', incomingListener);
      transport.events.off('account-restricted', onRestricted);
      transport.events.off('group-update', onGroupUpdate);
      transport.events.off('connection', onConnection);
      stopObserving?.();
      await dispatcher?.stop();
    },
  };
}
