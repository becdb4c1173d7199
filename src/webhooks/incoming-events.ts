/**
 * What received messages add to the webhook catalogue: the chat, participant, quoted id, mentions
 * and each kind's fields on `message.incoming`, and the events a contact's changes make:
 * `message.reaction`, `message.edited`, `message.revoked`. In these three, `message_id` is the
 * message reacted to, edited or deleted.
 */
import { INCOMING_KINDS, type IncomingKind } from '../domain/vocabulary.js';
import type { IncomingChange, IncomingMessage } from '../whatsapp/transport.js';
import { createEvent, phoneOfJid, type WebhookEvent } from './events.js';

/** Phone digits where the JID is a phone JID; otherwise the JID itself (a LID, a group). */
export const personOf = (jid: string): string => phoneOfJid(jid) ?? jid;

const isGroup = (jid: string) => jid.endsWith('@g.us');

/** The API's kind of a received message; from WhatsApp's content name when the port did not say. */
export function incomingKind(m: Pick<IncomingMessage, 'kind' | 'type'>): IncomingKind {
  if (m.kind) return m.kind;
  if (m.type === 'conversation' || m.type === 'extendedTextMessage') return 'text';
  const kind = m.type.replace(/Message$/, '');
  return (INCOMING_KINDS as readonly string[]).includes(kind) ? (kind as IncomingKind) : 'other';
}

/** Who wrote and where, as every received-message event names them. */
export interface SenderData {
  /** Digits of the sender's phone number, when WhatsApp revealed it. */
  from_phone: string | null;
  /** The sender's LID (`…@lid`), when WhatsApp gave it. */
  from_lid: string | null;
  /** The chat: the sender's phone digits (their LID when the number is hidden) one to one, the group id in a group. */
  chat: string;
  /** In a group, the member who wrote (phone digits, or LID when the number is hidden); null one to one. */
  participant: string | null;
}

/** The fields `message.incoming` has beyond v2.0.0's (IncomingMessageData in events.ts). */
export interface IncomingDetails extends Omit<SenderData, 'from_phone' | 'from_lid'> {
  /** WhatsApp's own name of the content (`conversation`, `imageMessage`, ...): what `type` said before. */
  wa_type: string;
  /** The WhatsApp id of the message this one quotes. */
  reply_to: string | null;
  /** People mentioned in the text or caption: phone digits, or LIDs. */
  mentions: string[];
  location: { latitude: number; longitude: number; name: string | null; address: string | null } | null;
  contacts: Array<{ name: string; phones: string[]; vcard: string }> | null;
  poll: { question: string; options: string[]; multiple_answers: boolean } | null;
  /** `message_id`: the message reacted to; `removed`: the contact took their reaction back (`emoji` ''). */
  reaction: { message_id: string; emoji: string; removed: boolean } | null;
}

export function senderData(m: { from: string; fromPhoneJid?: string; fromLid?: string; chat?: string; participant?: string }): SenderData {
  const fromPhone = phoneOfJid(m.fromPhoneJid) ?? phoneOfJid(m.from);
  const fromLid = m.fromLid ?? (m.from.endsWith('@lid') ? m.from : null);
  const chat = m.chat ?? m.from;
  const sender = fromPhone ?? fromLid ?? personOf(m.from);
  return { from_phone: fromPhone, from_lid: fromLid, chat: isGroup(chat) ? chat : sender, participant: isGroup(chat) ? sender : null };
}

export function incomingDetails(m: IncomingMessage): IncomingDetails {
  const { chat, participant } = senderData(m);
  return {
    wa_type: m.type,
    chat,
    participant,
    reply_to: m.replyTo ?? null,
    mentions: (m.mentions ?? []).map(personOf),
    location: m.location
      ? { latitude: m.location.latitude, longitude: m.location.longitude, name: m.location.name ?? null, address: m.location.address ?? null }
      : null,
    contacts: m.contacts ? m.contacts.map((c) => ({ name: c.name, phones: c.phones, vcard: c.vcard })) : null,
    poll: m.poll ? { question: m.poll.question, options: m.poll.options, multiple_answers: m.poll.multipleAnswers } : null,
    reaction: m.reaction ? { message_id: m.reaction.targetId, emoji: m.reaction.emoji, removed: m.reaction.emoji === '' } : null,
  };
}

export interface MessageReactionData extends SenderData {
  /** The message reacted to. */
  message_id: string;
  /** The id of the reaction itself (the `message_id` of its `message.incoming`). */
  reaction_id: string;
  /** '' when the contact took their reaction back. */
  emoji: string;
  removed: boolean;
  /** True when the message reacted to is one the account sent. */
  own_message: boolean;
  sent_at: string;
}

export interface MessageChangeData extends SenderData {
  /** The message edited or deleted (one the contact sent). */
  message_id: string;
  /** message.edited: the new text (or caption); null for message.revoked. */
  text: string | null;
  /** When the contact made the change. */
  changed_at: string;
}

export function messageReactionEvent(m: IncomingMessage): WebhookEvent<'message.reaction'> | undefined {
  if (!m.reaction) return undefined;
  return createEvent('message.reaction', {
    message_id: m.reaction.targetId,
    reaction_id: m.messageId,
    emoji: m.reaction.emoji,
    removed: m.reaction.emoji === '',
    own_message: m.reaction.targetFromMe,
    ...senderData(m),
    sent_at: new Date(m.timestamp * 1000).toISOString(),
  });
}

export function messageChangeEvent(change: IncomingChange): WebhookEvent<'message.edited' | 'message.revoked'> {
  const data: MessageChangeData = {
    message_id: change.messageId,
    ...senderData(change),
    text: change.change === 'edit' ? (change.text ?? null) : null,
    changed_at: new Date(change.timestamp * 1000).toISOString(),
  };
  return change.change === 'edit' ? createEvent('message.edited', data) : createEvent('message.revoked', data);
}
