/**
 * Every message contacts sent to the account, kept for INCOMING_RETENTION days: listed by
 * GET /api/messages?direction=in, quoted and reacted to by id (`findReceived`), and their media
 * downloaded on request (WhatsApp serves the encrypted file; the key lives only in the message).
 * A contact's edit or delete for everyone updates the stored message (a delete also drops the media).
 */
import { MEDIA_KINDS, type IncomingKind } from '../domain/vocabulary.js';
import { keysetPage, MAX_PAGE_SIZE, type Page } from '../store/cursor.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import { DEFAULT_PAGE_SIZE } from './message-repository.js';

export interface StoredIncomingMessage {
  messageId: string;
  /** The sender's JID as WhatsApp addressed it. */
  fromJid: string;
  /** The kind (text, image, ..., other). */
  type: string;
  /** The transport's serialised message (opaque here). */
  raw: string;
  receivedAt: number;
  /** The chat as the API names it (phone digits, a LID, or the group id); the sender when absent. */
  chat?: string;
  fromPhone?: string | null;
  /** The text, caption or a description of the content, shortened. */
  summary?: string | null;
  /** WhatsApp's timestamp of the message (ms); receivedAt when absent. */
  sentAt?: number;
  /** The message.incoming webhook data, as published. */
  data?: object;
}

/** A received message as GET /api/messages?direction=in and the quoting code read it. */
export interface ReceivedMessage extends Required<Omit<StoredIncomingMessage, 'data'>> {
  data: Record<string, unknown> | null;
  editedText: string | null;
  editedAt: number | null;
  revokedAt: number | null;
}

export interface ReceivedMessageQuery {
  type?: IncomingKind;
  /** Digits: the sender's phone, or the chat. */
  phone?: string;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
  limit?: number;
  cursor?: string;
}

export interface IncomingMessageRepository {
  /** False when a message with that id is already stored (WhatsApp delivered it again). */
  save(message: StoredIncomingMessage): Promise<boolean>;
  get(messageId: string): Promise<StoredIncomingMessage | null>;
  /** The stored message with its state, for quoting or reacting to it (raw holds WhatsApp's key and content). */
  findReceived(messageId: string): Promise<ReceivedMessage | null>;
  list(query?: ReceivedMessageQuery): Promise<Page<ReceivedMessage>>;
  /** Null when no received message has that id (already purged, or never seen). */
  markEdited(messageId: string, text: string | null, at: number): Promise<ReceivedMessage | null>;
  /** Deleted for everyone: also drops a media message's handle to its file (see the implementation). */
  markRevoked(messageId: string, at: number): Promise<ReceivedMessage | null>;
  purgeBefore(time: number): Promise<number>;
}

/** Kinds whose media GET /api/media/:messageId downloads. */
export const hasMedia = (type: string): boolean => (MEDIA_KINDS as readonly string[]).includes(type);

/** A received_messages row, as both stores read it. */
export interface ReceivedRow {
  seq: number;
  message_id: string;
  chat: string;
  from_jid: string;
  from_phone: string | null;
  type: string;
  summary: string | null;
  data: string | null;
  raw: string;
  sent_at: number;
  received_at: number;
  edited_text: string | null;
  edited_at: number | null;
  revoked_at: number | null;
}

/** A received_messages row as both stores read it. */
export function toReceived(row: ReceivedRow): ReceivedMessage {
  return {
    messageId: row.message_id,
    fromJid: row.from_jid,
    type: row.type,
    raw: row.raw,
    receivedAt: row.received_at,
    chat: row.chat,
    fromPhone: row.from_phone,
    summary: row.summary,
    sentAt: row.sent_at,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
    editedText: row.edited_text,
    editedAt: row.edited_at,
    revokedAt: row.revoked_at,
  };
}

export class SqliteIncomingMessageRepository implements IncomingMessageRepository {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  async save(m: StoredIncomingMessage): Promise<boolean> {
    const { changes } = this.sql
      .prepare(
        `INSERT INTO received_messages (message_id, chat, from_jid, from_phone, type, summary, data, raw, sent_at, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(
        m.messageId,
        m.chat ?? m.fromJid,
        m.fromJid,
        m.fromPhone ?? null,
        m.type,
        m.summary ?? null,
        m.data ? JSON.stringify(m.data) : null,
        m.raw,
        m.sentAt ?? m.receivedAt,
        m.receivedAt,
      );
    return changes > 0;
  }

  async get(messageId: string): Promise<StoredIncomingMessage | null> {
    const found = await this.findReceived(messageId);
    return found ? { ...found, data: found.data ?? undefined } : null;
  }

  async findReceived(messageId: string): Promise<ReceivedMessage | null> {
    const row = this.sql.prepare('SELECT * FROM received_messages WHERE message_id = ?').get(messageId) as ReceivedRow | undefined;
    return row ? toReceived(row) : null;
  }

  async list(query: ReceivedMessageQuery = {}): Promise<Page<ReceivedMessage>> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    return keysetPage<ReceivedRow, ReceivedMessage>(
      this.sql,
      'received_messages',
      [
        ['type = @type', 'type', query.type],
        ['(from_phone = @phone OR chat = @phone)', 'phone', query.phone],
        ['received_at >= @from', 'from', query.from?.getTime()],
        ['received_at < @to', 'to', query.to?.getTime()],
      ],
      { limit, cursor: query.cursor },
      toReceived,
    );
  }

  async markEdited(messageId: string, text: string | null, at: number): Promise<ReceivedMessage | null> {
    this.sql.prepare('UPDATE received_messages SET edited_text = ?, edited_at = ? WHERE message_id = ?').run(text, at, messageId);
    return this.findReceived(messageId);
  }

  /**
   * The sender deleted it for everyone: WhatsApp's apps drop it, and so do we where it matters. A
   * media message's raw holds the media key and URL, the handle GET /api/media uses to fetch and
   * decrypt the file: it is emptied, so the file is gone for us too. The row stays, marked, for
   * the listing and the message.revoked it answers.
   */
  async markRevoked(messageId: string, at: number): Promise<ReceivedMessage | null> {
    this.sql
      .prepare(
        `UPDATE received_messages SET revoked_at = ?, raw = CASE WHEN type IN (${MEDIA_KINDS.map(() => '?').join(', ')}) THEN '' ELSE raw END
         WHERE message_id = ? AND revoked_at IS NULL`,
      )
      .run(at, ...MEDIA_KINDS, messageId);
    return this.findReceived(messageId);
  }

  async purgeBefore(time: number): Promise<number> {
    return this.sql.prepare('DELETE FROM received_messages WHERE received_at < ?').run(time).changes;
  }
}
