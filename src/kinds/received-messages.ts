/**
 * Messages people sent to the account, by WhatsApp id: who sent them (phone JID and LID when
 * WhatsApp gave both), so a reaction can name a received message and be checked against its chat.
 * Only ids and senders are kept (no content), for 30 days (src/retention.ts).
 */
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';

export interface ReceivedMessage {
  messageId: string;
  /** The JID WhatsApp addressed it from (phone JID or LID; the participant in a group). */
  fromJid: string;
  fromPhoneJid: string | null;
  fromLid: string | null;
  receivedAt: number;
}

interface Row {
  message_id: string;
  from_jid: string;
  from_phone_jid: string | null;
  from_lid: string | null;
  received_at: number;
}

export class SqliteReceivedMessages {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  save(m: ReceivedMessage): void {
    this.sql
      .prepare(
        `INSERT INTO received_messages (message_id, from_jid, from_phone_jid, from_lid, received_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(m.messageId, m.fromJid, m.fromPhoneJid, m.fromLid, m.receivedAt);
  }

  get(messageId: string): ReceivedMessage | null {
    const row = this.sql.prepare('SELECT * FROM received_messages WHERE message_id = ?').get(messageId) as Row | undefined;
    if (!row) return null;
    return { messageId: row.message_id, fromJid: row.from_jid, fromPhoneJid: row.from_phone_jid, fromLid: row.from_lid, receivedAt: row.received_at };
  }

  purgeBefore(time: number): number {
    return this.sql.prepare('DELETE FROM received_messages WHERE received_at < ?').run(time).changes;
  }
}
