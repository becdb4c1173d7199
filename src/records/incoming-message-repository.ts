/**
 * Incoming messages, kept for INCOMING_RETENTION: so media can be downloaded on request (WhatsApp
 * serves the encrypted file, and the key to decrypt it lives only in the message itself), and so a
 * reply can quote any of them (`reply_to`).
 */
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';

export interface StoredIncomingMessage {
  messageId: string;
  fromJid: string;
  type: string;
  /** The transport's serialised message (opaque here). */
  raw: string;
  receivedAt: number;
  /** The JIDs that name its chat (a group's, or the sender's phone JID and LID); absent on rows kept before they were recorded. */
  chatJids?: string[];
}

export interface IncomingMessageRepository {
  save(message: StoredIncomingMessage): Promise<void>;
  get(messageId: string): Promise<StoredIncomingMessage | null>;
  purgeBefore(time: number): Promise<number>;
}

interface Row {
  message_id: string;
  from_jid: string;
  type: string;
  raw: string;
  received_at: number;
  chat_jids: string | null;
}

export class SqliteIncomingMessageRepository implements IncomingMessageRepository {
  private readonly sql: StatementCache;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  async save(m: StoredIncomingMessage): Promise<void> {
    this.sql
      .prepare(
        `INSERT INTO incoming_messages (message_id, from_jid, type, raw, received_at, chat_jids) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(m.messageId, m.fromJid, m.type, m.raw, m.receivedAt, m.chatJids ? JSON.stringify(m.chatJids) : null);
  }

  async get(messageId: string): Promise<StoredIncomingMessage | null> {
    const row = this.sql.prepare('SELECT * FROM incoming_messages WHERE message_id = ?').get(messageId) as Row | undefined;
    if (!row) return null;
    return {
      messageId: row.message_id,
      fromJid: row.from_jid,
      type: row.type,
      raw: row.raw,
      receivedAt: row.received_at,
      ...(row.chat_jids ? { chatJids: JSON.parse(row.chat_jids) as string[] } : {}),
    };
  }

  async purgeBefore(time: number): Promise<number> {
    return this.sql.prepare('DELETE FROM incoming_messages WHERE received_at < ?').run(time).changes;
  }
}
