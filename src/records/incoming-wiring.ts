/**
 * Received messages: every one is stored (for GET /api/messages?direction=in, quoting, media
 * download) and published as `message.incoming`; a reaction is also `message.reaction`; a
 * contact's edit or delete for everyone updates the stored message and is `message.edited` /
 * `message.revoked`.
 */
import type { WebhookEvent } from '../webhooks/events.js';
import { incomingMessageEvent } from '../webhooks/events.js';
import { incomingKind, messageChangeEvent, messageReactionEvent, senderData } from '../webhooks/incoming-events.js';
import type { IncomingChange, IncomingMessage } from '../whatsapp/transport.js';
import { hasMedia, type IncomingMessageRepository, type ReceivedMessage } from './incoming-message-repository.js';
import { summarize } from './message-repository.js';

type Publish = (event: WebhookEvent) => void;

/** What GET /api/messages?direction=in shows as `summary`: the text, caption, or what the content is. */
export function incomingSummary(m: IncomingMessage): string | null {
  const described =
    m.text ??
    m.media?.caption ??
    (m.location ? [m.location.name, m.location.address].filter(Boolean).join(', ') || `${m.location.latitude}, ${m.location.longitude}` : undefined) ??
    (m.contacts ? m.contacts.map((c) => c.name).join(', ') : undefined) ??
    m.poll?.question ??
    m.reaction?.emoji ??
    m.media?.fileName;
  return summarize(described);
}

export async function recordIncoming(
  message: IncomingMessage,
  deps: { incoming: IncomingMessageRepository; publish: Publish; downloadUrl: (messageId: string) => string },
): Promise<void> {
  const kind = incomingKind(message);
  const event = incomingMessageEvent(message, message.media && hasMedia(kind) ? deps.downloadUrl : undefined);
  const { from_phone: fromPhone, chat } = senderData(message);
  const stored = await deps.incoming.save({
    messageId: message.messageId,
    fromJid: message.from,
    type: kind,
    raw: message.raw,
    receivedAt: Date.now(),
    chat,
    fromPhone,
    summary: incomingSummary(message),
    sentAt: message.timestamp * 1000,
    data: event.data,
  });
  // A message WhatsApp delivers again (after a reconnect, a retry) is published once.
  if (!stored) return;
  deps.publish(event);
  const reaction = messageReactionEvent(message);
  if (reaction) deps.publish(reaction);
}

export async function recordIncomingChange(change: IncomingChange, deps: { incoming: IncomingMessageRepository; publish: Publish }): Promise<void> {
  const stored = await deps.incoming.findReceived(change.messageId);
  if (stored && !mayChange(stored, change)) return;
  const at = change.timestamp * 1000;
  if (stored && change.change === 'edit') await deps.incoming.markEdited(change.messageId, change.text ?? null, at);
  if (stored && change.change === 'revoke') await deps.incoming.markRevoked(change.messageId, at);
  deps.publish(messageChangeEvent(change));
}

/**
 * Only its sender edits a message; in a group an admin may also delete it for everyone. A change
 * naming a stored message someone else sent is ignored (WhatsApp's apps ignore it too).
 */
function mayChange(stored: ReceivedMessage, change: IncomingChange): boolean {
  const sender = senderData(change);
  if (stored.chat !== sender.chat) return false;
  const storedLid = typeof stored.data?.from_lid === 'string' ? stored.data.from_lid : null;
  const sameSender =
    stored.fromJid === change.from ||
    (sender.from_phone !== null && stored.fromPhone === sender.from_phone) ||
    (sender.from_lid !== null && storedLid === sender.from_lid);
  return sameSender || (change.change === 'revoke' && sender.participant !== null);
}
