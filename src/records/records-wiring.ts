/**
 * Message records kept up to date from WhatsApp's events: acks and receipts move a record's
 * status (and reach webhook receivers when they are real progress), incoming messages are kept
 * (INCOMING_RETENTION) so their media can be downloaded and replies can quote them, and every
 * incoming message is published.
 */
import type { Logger } from 'pino';
import type { WebhookEvent } from '../webhooks/events.js';
import { incomingMessageEvent, messageStatusEvent } from '../webhooks/events.js';
import type { IncomingMessage, MessageStatusUpdate, WhatsAppTransport } from '../whatsapp/transport.js';
import type { IncomingMessageRepository } from './incoming-message-repository.js';
import { toMessageStatus, type MessageRecord, type MessageRepository } from './message-repository.js';

type Publish = (event: WebhookEvent) => void;

/**
 * Statuses the gateway gives records itself (sent, failed) reach webhook receivers like those
 * from WhatsApp's receipts: a client that got a 202 must learn that its message failed.
 */
export function publishRecordStatus(record: MessageRecord, publish: Publish): void {
  if (!record.waMessageId || (record.status !== 'sent' && record.status !== 'failed')) return;
  publish(messageStatusEvent({ messageId: record.waMessageId, jid: record.jid, status: record.status, error: record.error ?? undefined }, record.id));
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
    if (change?.changed) publish(messageStatusEvent(update, change.record.id));
  };
  const onIncoming = async (message: IncomingMessage) => {
    // Every message is kept: its media for download, and itself for a reply that quotes it.
    await incoming.save({ messageId: message.messageId, fromJid: message.from, type: message.type, raw: message.raw, receivedAt: Date.now(), chatJids: chatJidsOf(message) });
    publish(incomingMessageEvent(message, message.media ? deps.downloadUrl : undefined));
  };
  const log = (what: string) => (error: unknown) => logger.error({ err: error }, what);
  const statusListener = (u: MessageStatusUpdate) => void onStatus(u).catch(log('could not record a delivery status'));
  const incomingListener = (m: IncomingMessage) => void onIncoming(m).catch(log('could not handle an incoming message'));
  transport.events.on('message-status', statusListener);
  transport.events.on('incoming-message', incomingListener);
  return () => {
    transport.events.off('message-status', statusListener);
    transport.events.off('incoming-message', incomingListener);
  };
}

/** The JIDs that name an incoming message's chat: a group's JID, or every form of the sender's. */
function chatJidsOf(message: IncomingMessage): string[] {
  const chat = message.chatJid ?? message.from;
  if (chat.endsWith('@g.us')) return [chat];
  return [...new Set([chat, message.from, message.fromPhoneJid, message.fromLid].filter((jid): jid is string => !!jid))];
}
