/**
 * Message records kept up to date from WhatsApp's events: acks and receipts move a record's
 * status (and reach webhook receivers when they are real progress); received messages and changes
 * to them are stored and published (incoming-wiring.ts).
 */
import type { Logger } from 'pino';
import type { WebhookEvent } from '../webhooks/events.js';
import { messageStatusEvent } from '../webhooks/events.js';
import type { IncomingChange, IncomingMessage, MessageStatusUpdate, WhatsAppTransport } from '../whatsapp/transport.js';
import { recordIncoming, recordIncomingChange } from './incoming-wiring.js';
import type { IncomingMessageRepository } from './incoming-message-repository.js';
import { toMessageStatus, type MessageRecord, type MessageRepository } from './message-repository.js';

/** An event or its builder (built only when webhooks are configured: see src/webhooks/webhook-wiring.ts). */
type Publish = (event: WebhookEvent | (() => WebhookEvent)) => void;

/**
 * Statuses the gateway gives records itself (sent, failed) reach webhook receivers like those
 * from WhatsApp's receipts: a client that got a 202 must learn that its message failed.
 */
export function publishRecordStatus(record: MessageRecord, publish: Publish): void {
  if (!record.waMessageId || (record.status !== 'sent' && record.status !== 'failed')) return;
  const { waMessageId, jid, status, error, id } = record;
  publish(() => messageStatusEvent({ messageId: waMessageId, jid, status, error: error ?? undefined }, id));
}

/** Subscribes to the transport's message events; returns the unsubscribe. */
export function wireRecords(
  transport: WhatsAppTransport,
  deps: {
    messages: MessageRepository;
    incoming: IncomingMessageRepository;
    publish: Publish;
    /** The GET /api/media URL of an incoming message's media. */
    downloadUrl: (messageId: string) => string;
    logger: Logger;
  },
): () => void {
  const { messages, incoming, publish, logger } = deps;
  const onStatus = async (update: MessageStatusUpdate) => {
    const change = await messages.markStatus(update.messageId, toMessageStatus(update.status), new Date(), update.error);
    // Only our own messages, and only real progress, reach the receivers.
    if (change?.changed) {
      const recordId = change.record.id;
      publish(() => messageStatusEvent(update, recordId));
    }
  };
  const onIncoming = (message: IncomingMessage) => recordIncoming(message, { incoming, publish, downloadUrl: deps.downloadUrl });
  const onChange = (change: IncomingChange) => recordIncomingChange(change, { incoming, publish });
  const log = (what: string) => (error: unknown) => logger.error({ err: error }, what);
  const statusListener = (u: MessageStatusUpdate) => void onStatus(u).catch(log('could not record a delivery status'));
  const incomingListener = (m: IncomingMessage) => void onIncoming(m).catch(log('could not handle an incoming message'));
  transport.events.on('message-status', statusListener);
  const changeListener = (c: IncomingChange) => void onChange(c).catch(log('could not handle a change to a received message'));
  transport.events.on('incoming-message', incomingListener);
  transport.events.on('incoming-change', changeListener);
  return () => {
    transport.events.off('incoming-change', changeListener);
    transport.events.off('message-status', statusListener);
    transport.events.off('incoming-message', incomingListener);
  };
}
