/**
 * A received message as GET /api/messages?direction=in shows it: the `message.incoming` webhook
 * data it was published with, plus its state (summary, when it arrived, a contact's edit or delete).
 */
import { z } from 'zod';
import { INCOMING_KINDS } from '../domain/vocabulary.js';
import { isoTimestamp, named } from '../openapi/components.js';
import type { ReceivedMessage } from './incoming-message-repository.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Rows stored before every message was kept (media only) have no webhook data: their fields are null. */
const EMPTY_DATA = {
  from_lid: null,
  push_name: null,
  participant: null,
  text: null,
  media: null,
  reply_to: null,
  mentions: [],
  location: null,
  contacts: null,
  poll: null,
  reaction: null,
};

export function receivedView(m: ReceivedMessage) {
  const data = m.data ?? { ...EMPTY_DATA, message_id: m.messageId, from_phone: m.fromPhone, from_jid: m.fromJid, chat: m.chat, type: m.type, wa_type: m.type };
  return {
    direction: 'in' as const,
    ...data,
    sent_at: new Date(m.sentAt).toISOString(),
    summary: m.summary,
    received_at: new Date(m.receivedAt).toISOString(),
    edited_text: m.editedText,
    edited_at: iso(m.editedAt),
    revoked: m.revokedAt !== null,
    revoked_at: iso(m.revokedAt),
  };
}

const nullableString = z.string().nullable();

export const receivedMessageSchema = named(
  'ReceivedMessage',
  z.object({
    direction: z.literal('in'),
    message_id: z.string().meta({ description: "WhatsApp's message id" }),
    from_phone: nullableString.meta({ description: "Digits of the sender's phone number; null when WhatsApp hid it" }),
    from_jid: z.string().meta({ description: 'The JID WhatsApp addressed the message from (phone JID or LID)' }),
    from_lid: nullableString.meta({ description: "The sender's LID, when WhatsApp gave it" }),
    push_name: nullableString,
    chat: z.string().meta({ description: "The sender's phone digits (their LID when hidden), or the group id" }),
    participant: nullableString.meta({ description: 'In a group: the member who wrote (phone digits or LID)' }),
    type: z.enum(INCOMING_KINDS),
    wa_type: z.string().meta({ description: "WhatsApp's name of the content (conversation, imageMessage, ...)" }),
    text: nullableString,
    summary: nullableString.meta({ description: 'The text, caption or what the content is, shortened' }),
    media: z
      .object({
        kind: z.string(),
        mimetype: nullableString,
        file_size: z.number().nullable(),
        file_name: nullableString,
        caption: nullableString,
        download_url: nullableString.meta({ description: 'GET /api/media/:messageId' }),
      })
      .nullable(),
    reply_to: nullableString.meta({ description: 'The id of the message this one quotes' }),
    mentions: z.array(z.string()).meta({ description: 'Mentioned people: phone digits or LIDs' }),
    location: z.object({ latitude: z.number(), longitude: z.number(), name: nullableString, address: nullableString }).nullable(),
    contacts: z.array(z.object({ name: z.string(), phones: z.array(z.string()), vcard: z.string() })).nullable(),
    poll: z.object({ question: z.string(), options: z.array(z.string()), multiple_answers: z.boolean() }).nullable(),
    reaction: z.object({ message_id: z.string().meta({ description: 'The message reacted to' }), emoji: z.string(), removed: z.boolean() }).nullable(),
    sent_at: isoTimestamp,
    received_at: isoTimestamp,
    edited_text: nullableString.meta({ description: 'The text after the sender edited it' }),
    edited_at: isoTimestamp.nullable(),
    revoked: z.boolean().meta({ description: 'The sender deleted it for everyone' }),
    revoked_at: isoTimestamp.nullable(),
  }),
);

export const exampleReceived = {
  direction: 'in',
  message_id: '3A5F1C2B9D8E7F6A5B4C',
  from_phone: '6281234567890',
  from_jid: '123456789012345@lid',
  from_lid: '123456789012345@lid',
  push_name: 'Budi',
  chat: '120363012345678901@g.us',
  participant: '6281234567890',
  type: 'text',
  wa_type: 'extendedTextMessage',
  text: 'Siap, besok jam 9',
  summary: 'Siap, besok jam 9',
  media: null,
  reply_to: '3EB0B057F6CD72C5DB18EC',
  mentions: [],
  location: null,
  contacts: null,
  poll: null,
  reaction: null,
  sent_at: '2025-09-23T13:46:02.000Z',
  received_at: '2025-09-23T13:46:02.311Z',
  edited_text: null,
  edited_at: null,
  revoked: false,
  revoked_at: null,
};
