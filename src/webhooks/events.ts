/**
 * The webhook event catalogue: what receivers get, built from the WhatsApp port's events. Field
 * names are snake_case like the rest of the HTTP API. Every body is `{ id, event, timestamp, data }`.
 */
import { randomUUID } from 'node:crypto';
import type { AccountRestriction } from '../whatsapp/account-restriction.js';
import type { GroupEventMember, GroupUpdate } from '../whatsapp/group-port.js';
import type { PollVote } from '../whatsapp/kinds.js';
import type { ConnectionStatus, IncomingMessage, MessageStatusUpdate } from '../whatsapp/transport.js';
import { incomingDetails, incomingKind, type IncomingDetails, type MessageChangeData, type MessageReactionData } from './incoming-events.js';

export const WEBHOOK_EVENT_TYPES = [
  'message.incoming',
  'message.status',
  'connection.update',
  'account.restricted',
  'group.update',
  'message.reaction',
  'message.edited',
  'message.revoked',
  'poll.vote',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface IncomingMessageData extends IncomingDetails {
  message_id: string;
  /** Digits of the sender's phone number, when WhatsApp revealed it. */
  from_phone: string | null;
  /** The JID WhatsApp addressed the message from (a phone JID or a LID). */
  from_jid: string;
  /** Set when WhatsApp identified the sender by LID (hidden number). */
  from_lid: string | null;
  push_name: string | null;
  /** ISO-8601 of WhatsApp's message timestamp. */
  sent_at: string;
  /** text, image, video, audio, document, sticker, location, contact, poll, reaction, or other. */
  type: string;
  text: string | null;
  media: {
    kind: string;
    mimetype: string | null;
    file_size: number | null;
    file_name: string | null;
    caption: string | null;
    /** GET this (with the API key) to fetch the file through the gateway; null when unavailable. */
    download_url: string | null;
  } | null;
}

export interface MessageStatusData {
  /** The gateway's message id, when the message was sent through the gateway. */
  id: string | null;
  message_id: string;
  jid: string;
  phone: string | null;
  status: string;
  error: string | null;
  /** WhatsApp's code when its server refused the message (e.g. 463), else null. */
  error_code: number | null;
}

export interface ConnectionUpdateData {
  connected: boolean;
  phase: string;
  connection_attempts: number;
  next_retry_at: string | null;
  last_disconnect: { code: number; reason: string; at: string } | null;
  account: { jid: string; lid: string | null } | null;
}

export interface AccountRestrictedData {
  /** WhatsApp's error code (463: reach-out timelock). */
  code: number;
  reason: string;
  /** The message whose error ack revealed it (it is failed, never retried). */
  message_id: string;
  since: string;
  /** When sends to new contacts resume. */
  until: string;
  /** False when WhatsApp did not say and `until` is the gateway's assumption (24 h). */
  until_from_whatsapp: boolean;
}

/** A change to a group the account is in: members, subject, description or settings, whoever made it. */
export interface GroupUpdateData {
  /** The group id (`120363…@g.us`). */
  group: string;
  /** Who made the change, when WhatsApp said (phone digits and/or LID). */
  author: GroupEventMember | null;
  /** A change of members; `create`: the account was put in a new group. Null for other changes. */
  action: 'add' | 'remove' | 'promote' | 'demote' | 'create' | null;
  /** The members the action names; [] when the change is not about members. */
  participants: GroupEventMember[];
  /** The new subject, when it changed (and on `create`). */
  subject: string | null;
  /** The new description when it changed; '' when it was removed. */
  description: string | null;
  announce: boolean | null;
  restrict: boolean | null;
}

/** A vote in a poll the gateway sent, decrypted: the options the voter has chosen now ([] = vote taken back). */
export interface PollVoteData {
  /** WhatsApp's id of the poll (`message_id` of its send). */
  poll_id: string;
  voter_phone: string | null;
  voter_lid: string | null;
  options: string[];
}

export interface WebhookEventDataMap {
  'message.incoming': IncomingMessageData;
  'message.status': MessageStatusData;
  'connection.update': ConnectionUpdateData;
  'account.restricted': AccountRestrictedData;
  'group.update': GroupUpdateData;
  'message.reaction': MessageReactionData;
  'message.edited': MessageChangeData;
  'message.revoked': MessageChangeData;
  'poll.vote': PollVoteData;
}

export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  id: string;
  event: T;
  /** ISO-8601 of when the gateway saw it. */
  timestamp: string;
  data: WebhookEventDataMap[T];
}

export function createEvent<T extends WebhookEventType>(event: T, data: WebhookEventDataMap[T], at = new Date()): WebhookEvent<T> {
  return { id: randomUUID(), event, timestamp: at.toISOString(), data };
}

/** `6281234567890:12@s.whatsapp.net` → `6281234567890`; null for LIDs, groups and others. */
export function phoneOfJid(jid: string | null | undefined): string | null {
  const match = jid ? /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid) : null;
  return match?.[1] ?? null;
}

export function incomingMessageEvent(message: IncomingMessage, downloadUrl?: (messageId: string) => string): WebhookEvent<'message.incoming'> {
  const lid = message.fromLid ?? (message.from.endsWith('@lid') ? message.from : null);
  return createEvent('message.incoming', {
    message_id: message.messageId,
    from_phone: phoneOfJid(message.fromPhoneJid) ?? phoneOfJid(message.from),
    from_jid: message.from,
    from_lid: lid,
    push_name: message.pushName ?? null,
    sent_at: new Date(message.timestamp * 1000).toISOString(),
    type: incomingKind(message),
    text: message.text ?? null,
    media: message.media
      ? {
          kind: message.media.kind,
          mimetype: message.media.mimetype ?? null,
          file_size: message.media.fileLength ?? null,
          file_name: message.media.fileName ?? null,
          caption: message.media.caption ?? null,
          download_url: downloadUrl ? downloadUrl(message.messageId) : null,
        }
      : null,
    ...incomingDetails(message),
  });
}

export function messageStatusEvent(update: MessageStatusUpdate, gatewayMessageId: string | null = null): WebhookEvent<'message.status'> {
  return createEvent('message.status', {
    id: gatewayMessageId,
    message_id: update.messageId,
    jid: update.jid,
    phone: phoneOfJid(update.jid),
    status: update.status,
    error: update.error ?? null,
    error_code: update.errorCode ?? errorCodeOf(update.error),
  });
}

/** Records keep the code at the start of their error text ("WhatsApp error 463: ..."). */
function errorCodeOf(error: string | undefined): number | null {
  const match = error ? /^WhatsApp error (\d+):/.exec(error) : null;
  return match ? Number(match[1]) : null;
}

export function connectionUpdateEvent(status: ConnectionStatus): WebhookEvent<'connection.update'> {
  return createEvent('connection.update', {
    connected: status.connected,
    phase: status.phase,
    connection_attempts: status.connectionAttempts,
    next_retry_at: status.nextRetryAt ?? null,
    last_disconnect: status.lastDisconnect ?? null,
    account: status.account ? { jid: status.account.jid, lid: status.account.lid ?? null } : null,
  });
}

export function accountRestrictedEvent(
  report: AccountRestriction,
  active: { since: string; until: string; untilFromWhatsApp: boolean },
): WebhookEvent<'account.restricted'> {
  return createEvent('account.restricted', {
    code: report.code,
    reason: report.reason,
    message_id: report.messageId,
    since: active.since,
    until: active.until,
    until_from_whatsapp: active.untilFromWhatsApp,
  });
}

export function groupUpdateEvent(update: GroupUpdate): WebhookEvent<'group.update'> {
  return createEvent('group.update', {
    group: update.id,
    author: update.author,
    action: update.action ?? null,
    participants: update.participants ?? [],
    subject: update.subject ?? null,
    description: update.description ?? null,
    announce: update.announce ?? null,
    restrict: update.restrict ?? null,
  });
}

export function pollVoteEvent(vote: PollVote): WebhookEvent<'poll.vote'> {
  return createEvent('poll.vote', {
    poll_id: vote.pollId,
    voter_phone: phoneOfJid(vote.voterPhoneJid),
    voter_lid: vote.voterLid ?? null,
    options: vote.options,
  });
}
