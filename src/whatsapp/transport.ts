/**
 * The WhatsApp port: the narrow interface the HTTP layer talks to. Production uses the Baileys
 * adapter (src/whatsapp/baileys); component tests use a fake that implements the same interface.
 */
import type { DeliveryStatus, IncomingKind, MediaKind } from '../domain/vocabulary.js';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { AccountRestriction } from './account-restriction.js';
import type { GroupUpdate, WhatsAppGroups } from './group-port.js';
import type { OutgoingContacts, OutgoingLocation, OutgoingPoll, OutgoingReaction, PollVote } from './kinds.js';

export type ConnectionPhase =
  | 'starting'
  | 'connecting'
  | 'awaiting_qr'
  /** A pairing code was asked for: QRs are not shown until it is used, refused or expires. */
  | 'awaiting_pairing_code'
  | 'open'
  | 'waiting_to_retry'
  | 'replaced'
  | 'logged_out'
  | 'stopped';

export interface DisconnectInfo {
  code: number;
  reason: string;
  at: string;
}

export interface ConnectionStatus {
  connected: boolean;
  phase: ConnectionPhase;
  /** Reconnect attempts since the connection was last open. */
  connectionAttempts: number;
  maxAttempts: number;
  /** True while the connection manager is running: connecting, open or waiting to retry. */
  running: boolean;
  /**
   * True once `maxAttempts` attempts have failed: the outage is long. Retries go on at the capped
   * backoff (RECONNECT_MAX_DELAY_MS), not slower, so the gateway is back soon after WhatsApp is.
   */
  slowRetry: boolean;
  /** When the scheduled attempt will start (set while waiting_to_retry; the timer uses this very value). */
  nextRetryAt?: string;
  lastDisconnect?: DisconnectInfo;
  account?: { jid: string; lid?: string };
}

/**
 * Options every kind of content can carry: replies and mentions (the `reply_to` and `mentions` of
 * every send endpoint, src/messaging/reply-context.ts). Kept in outbox jobs with the content.
 */
export interface MessageContext {
  /** WhatsApp id of the message this one replies to. */
  quotedId?: string;
  /** What WhatsApp shows of the quoted message: set with quotedId (Baileys needs the message itself). */
  quoted?: QuotedMessage;
  /** JIDs mentioned in the text or caption. */
  mentions?: string[];
}

/** The message a reply quotes, as the gateway kept it (one of the two encodings the adapter wrote). */
export interface QuotedMessage {
  /** True when we sent it; false when it was received. */
  fromMe: boolean;
  /** In a group: the JID of who wrote it (a received message's sender, or the account). */
  participant?: string;
  /** A sent message: the adapter's protobuf bytes as kept for retry receipts, base64. */
  sentContent?: string;
  /** A received message: the adapter's serialisation of it (IncomingMessage.raw). */
  incomingRaw?: string;
  /** When no content is kept any more: the text the quote shows. */
  text?: string;
}

/** A text message. */
export interface OutgoingText {
  kind: 'text';
  text: string;
  context?: MessageContext;
}

/** What WhatsApp receives for one media send; produced by the media preparation step. */
export interface OutgoingMedia {
  /** How WhatsApp shows it (a gif image may go out as a looping `video`). */
  kind: MediaKind;
  path: string;
  mimetype: string;
  fileName: string;
  caption?: string;
  ptt?: boolean;
  seconds?: number;
  waveform?: Uint8Array;
  jpegThumbnail?: Buffer;
  width?: number;
  height?: number;
  gifPlayback?: boolean;
  isAnimated?: boolean;
  context?: MessageContext;
}

/** A message we sent, as WhatsApp's key names it: the target of an edit or a delete for everyone. */
export interface OwnMessageKey {
  /** WhatsApp's message id of the message being changed. */
  id: string;
  /** The chat it was sent to (the JID the send used). */
  remoteJid: string;
}

/**
 * A new text for a message we sent (WhatsApp's MESSAGE_EDIT). `captionOf` names the media kind
 * when the text is a caption: WhatsApp carries a caption edit as that kind's message.
 */
export interface OutgoingEdit {
  kind: 'edit';
  target: OwnMessageKey;
  text: string;
  captionOf?: 'image' | 'video' | 'document';
  /** Every kind carries the same optional context; the edit route sets none (no quote, no mentions). */
  context?: MessageContext;
}

/** Deletes a message we sent, for everyone (WhatsApp's REVOKE). */
export interface OutgoingDelete {
  kind: 'delete';
  target: OwnMessageKey;
  /** Every kind carries the same optional context; the delete route sets none. */
  context?: MessageContext;
}

/**
 * Everything the gateway can send, discriminated by `kind` (Baileys' AnyMessageContent is the
 * model). A new kind of message is one new member here and one case in the adapter's mapping
 * (src/whatsapp/baileys/outgoing-content.ts).
 */
export type OutgoingContent =
  OutgoingText | OutgoingMedia | OutgoingLocation | OutgoingContacts | OutgoingReaction | OutgoingPoll | OutgoingEdit | OutgoingDelete;

/** The kinds of content, as stored in message records and outbox jobs. */
export type OutgoingKind = OutgoingContent['kind'];

export interface SentMessage {
  messageId: string;
  /** The recipient JID WhatsApp used. */
  jid: string;
}

export interface MessageStatusUpdate {
  messageId: string;
  jid: string;
  status: DeliveryStatus;
  error?: string;
  /** WhatsApp's code when its server refused the message (error ack). */
  errorCode?: number;
}

export interface IncomingMessage {
  messageId: string;
  /** Sender JID as WhatsApp addressed it (may be a LID). */
  from: string;
  /** Sender phone-number JID where known. */
  fromPhoneJid?: string;
  fromLid?: string;
  pushName?: string;
  timestamp: number;
  type: string;
  text?: string;
  media?: { kind: string; mimetype?: string; fileLength?: number; fileName?: string; caption?: string };
  /** The message as the adapter serialised it (opaque): kept to download its media later. */
  raw: string;
  /** The kind in the API's words (`type` above is WhatsApp's own content name, e.g. `conversation`). */
  kind?: IncomingKind;
  /** The chat JID: the sender's (phone JID or LID) one to one, the group's in a group. */
  chat?: string;
  /** In groups: the member who wrote, as WhatsApp named them (the same person as `from`). */
  participant?: string;
  /** The WhatsApp id of the message this one quotes (contextInfo.stanzaId). */
  replyTo?: string;
  /** JIDs mentioned in the text or caption. */
  mentions?: string[];
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contacts?: IncomingContactCard[];
  poll?: { question: string; options: string[]; multipleAnswers: boolean };
  /** A reaction: the message reacted to; `emoji` '' takes a reaction back. */
  reaction?: { targetId: string; emoji: string; targetFromMe: boolean };
}

/** One contact card of a received contact message. */
export interface IncomingContactCard {
  name: string;
  /** Phone numbers on the card (digits; WhatsApp's `waid` where the card has it). */
  phones: string[];
  vcard: string;
}

/** A contact changed one of their own earlier messages: edited its text, or deleted it for everyone. */
export interface IncomingChange {
  change: 'edit' | 'revoke';
  /** The id of the message that changed. */
  messageId: string;
  /** The id of the protocol message that carried the change. */
  changeId: string;
  chat: string;
  from: string;
  fromPhoneJid?: string;
  fromLid?: string;
  participant?: string;
  timestamp: number;
  /** The new text (edit). */
  text?: string;
}

/** What WhatsApp's own lookup says about one phone number (POST /api/check-number). */
export interface NumberOnWhatsApp {
  /** The number asked about, international digits. */
  phone: string;
  exists: boolean;
  /** The account's JID as WhatsApp names it (may differ from the digits asked, e.g. Brazil's 9th digit). */
  jid?: string;
  /** The account's LID JID ('…@lid'), when WhatsApp gave one. */
  lid?: string;
}

export interface TransportEventMap {
  connection: [ConnectionStatus];
  qr: [string];
  'message-status': [MessageStatusUpdate];
  'incoming-message': [IncomingMessage];
  /** A contact edited or deleted for everyone a message of theirs. */
  'incoming-change': [IncomingChange];
  /** WhatsApp restricted the account (463): sends to new contacts must pause. */
  'account-restricted': [AccountRestriction];
  /** A group the account is in changed (members, subject, description, settings). */
  'group-update': [GroupUpdate];
  /** Someone voted in a poll the account sent (decrypted; src/whatsapp/baileys/poll-votes.ts). */
  'poll-vote': [PollVote];
  /** A message arrived that could not be decrypted (Bad MAC, no session); WhatsApp is asked to resend it. */
  'undecryptable-message': [UndecryptableMessage];
}

export interface UndecryptableMessage {
  /** WhatsApp's message id. */
  id: string;
  /** The chat it came from (a contact or a group). */
  from: string;
  /** What the decryption failed with (Baileys' text, e.g. 'Bad MAC'). */
  reason: string;
}

export interface WhatsAppTransport {
  readonly events: EventEmitter<TransportEventMap>;
  /** Groups: list, info, create, members, subject, description, invite code, leave (group-port.ts). */
  readonly groups: WhatsAppGroups;
  status(): ConnectionStatus;
  currentQr(): string | null;
  /**
   * `messageId` lets the caller choose WhatsApp's message id (recorded before sending, so a send
   * interrupted by a crash is retried under the same id and WhatsApp drops the duplicate).
   * Resolves only once WhatsApp's server acknowledged the message; rejects with ServerRejectedError
   * (an error ack) or SendOutcomeUnknownError (no ack in time, or the connection closed first).
   */
  send(jid: string, content: OutgoingContent, messageId?: string): Promise<SentMessage>;
  /** A fresh WhatsApp message id in the format the real clients use. */
  newMessageId(): string;
  /** Downloads and decrypts the media of an incoming message (the raw message carries the key). */
  downloadIncomingMedia(raw: string): Promise<{ stream: Readable; mimetype?: string; fileName?: string }>;
  /**
   * Asks WhatsApp for a pairing code for `phone` (international digits) on a fresh registration and
   * resolves with the code once WhatsApp has accepted it. Rejects with an AppError when WhatsApp
   * refuses or does not answer, or when an account is already linked.
   */
  requestPairingCode(phone: string): Promise<string>;
  /**
   * Asks WhatsApp which of `phones` (international digits) have an account, in one query; one
   * answer per phone, in order. Rejects when not connected or WhatsApp does not answer.
   */
  lookupNumbers(phones: readonly string[]): Promise<NumberOnWhatsApp[]>;
  /** Unlinks the device (sends remove-companion) and starts a fresh registration. */
  logout(): Promise<void>;
  /** Closes the socket without logging out, so credentials stay valid. */
  stop(): Promise<void>;
}
