/**
 * Message records (on SQLite: sqlite-message-repository.ts; on the shared store:
 * kysely-message-repository.ts): one row per message the gateway accepted, carried forward by
 * WhatsApp's acks and receipts.
 */
import type { DeliveryStatus, MessageStatus, MessageType } from '../domain/vocabulary.js';
import type { Page } from '../store/cursor.js';

export interface MessageRecord {
  id: string;
  waMessageId: string | null;
  phone: string;
  jid: string;
  type: MessageType;
  /** The text, or the caption of a media message, shortened to SUMMARY_MAX_CHARS. */
  summary: string | null;
  fileName: string | null;
  status: MessageStatus;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  queuedAt: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
}

export interface NewMessage {
  /** Defaults to a random UUID. */
  id?: string;
  waMessageId?: string;
  phone: string;
  jid: string;
  type: MessageType;
  text?: string | null;
  fileName?: string | null;
  status: 'queued' | 'sent';
  at?: Date;
}

export interface MessageQuery {
  status?: MessageStatus;
  type?: MessageType;
  /** Normalised digits, as in the send responses. */
  phone?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** 1..MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export type MessagePage = Page<MessageRecord>;

export interface MessageAnalytics {
  from: string | null;
  to: string | null;
  total: number;
  byType: Record<string, number>;
  byStatus: Record<MessageStatus, number>;
  byTypeAndStatus: Record<string, Record<MessageStatus, number>>;
}

export interface StatusChange {
  /** False when the update was stale (a late `delivered` after `read`) or repeated. */
  changed: boolean;
  record: MessageRecord;
}

export interface MessageRepository {
  /** The record of a message that goes into the outbox is written by OutboxRepository.enqueue instead, with its job. */
  create(message: NewMessage): Promise<MessageRecord>;
  get(id: string): Promise<MessageRecord | null>;
  getByWaId(waMessageId: string): Promise<MessageRecord | null>;
  /** For sends whose WhatsApp id is known only after Baileys returned. */
  setWaMessageId(id: string, waMessageId: string): Promise<void>;
  /** Null when no record has that WhatsApp id (a message sent from the phone, say). */
  markStatus(waMessageId: string, status: MessageStatus, at?: Date, error?: string): Promise<StatusChange | null>;
  markStatusById(id: string, status: MessageStatus, at?: Date, error?: string): Promise<StatusChange | null>;
  list(query?: MessageQuery): Promise<MessagePage>;
  analytics(range?: { from?: Date; to?: Date }): Promise<MessageAnalytics>;
  /** Deletes records created before `before`, except those still queued; returns how many. */
  purgeBefore(before: Date): Promise<number>;
}

/** The record `id` names: our record id, or WhatsApp's message id (GET /api/messages/:id and the changes of a message). */
export async function findRecord(messages: Pick<MessageRepository, 'get' | 'getByWaId'>, id: string): Promise<MessageRecord | null> {
  return (await messages.get(id)) ?? (await messages.getByWaId(id));
}

export { InvalidCursorError } from '../store/cursor.js';

export const SUMMARY_MAX_CHARS = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** Order of progress; `failed` sits outside it and is reachable only before delivery. */
const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: -1 };

/** WhatsApp's delivery states in record terms: a played voice note has certainly been read. */
export function toMessageStatus(status: DeliveryStatus): MessageStatus {
  return status === 'played' ? 'read' : status;
}

/** May a record in `from` move to `to`? Never backwards, never out of `failed`, failed only before delivery. */
export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'failed') return false;
  if (to === 'failed') return from === 'queued' || from === 'sent';
  return RANK[to] > RANK[from];
}

/** Shortens on code points, so an emoji is never cut in half. */
export function summarize(text: string | null | undefined, max = SUMMARY_MAX_CHARS): string | null {
  if (text === null || text === undefined || text === '') return null;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
