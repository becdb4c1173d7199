/**
 * The words every part of the gateway shares: kinds of media and message, and the statuses a
 * message goes through. A leaf module: it imports nothing, so everything may import it and
 * imports run one way (features → vocabulary, never back).
 */

/** The media kinds, each with its own send endpoint and upload policy. */
export const MEDIA_KINDS = ['image', 'document', 'audio', 'video', 'sticker'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/**
 * Changes of a message we sent (src/changes/): each goes out as its own WhatsApp protocol message
 * with its own record, which lists show only when asked for by `type`.
 */
export const CHANGE_KINDS = ['edit', 'delete'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * The kinds of message a record can have (`type` in GET /api/messages, its filter and the OpenAPI
 * document). A new kind of content (src/whatsapp/transport.ts OutgoingContent) adds its name here.
 */
export const MESSAGE_TYPES = ['text', ...MEDIA_KINDS, 'location', 'contact', 'reaction', 'poll', ...CHANGE_KINDS] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * The kinds of received message (`type` of `message.incoming` and of GET /api/messages?direction=in);
 * `other` is a kind the gateway does not map (its `wa_type` names it).
 */
export const INCOMING_KINDS = ['text', ...MEDIA_KINDS, 'location', 'contact', 'poll', 'reaction', 'other'] as const;
export type IncomingKind = (typeof INCOMING_KINDS)[number];

/** WhatsApp's delivery states, from acks and receipts. */
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

/** The statuses of a message record, in the order a message goes through them. */
export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
