/**
 * Edits and deletes of messages we sent. Each change is carried by its own protocol message with
 * its own message record (the action); the change counts only once WhatsApp's server took that
 * message, so its state is read from the action record's status rather than kept twice.
 */
import type { ChangeKind, MessageStatus } from '../domain/vocabulary.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';

export interface MessageChange {
  /** The record of the protocol message carrying the change. */
  actionId: string;
  /** The record of the message changed. */
  targetId: string;
  kind: ChangeKind;
  /** The new text (edits only). */
  text: string | null;
  createdAt: string;
  /** `applied`: WhatsApp's server acknowledged it; `pending`: queued or awaiting its ack; `failed`: refused. */
  state: 'applied' | 'pending' | 'failed';
  /** When WhatsApp's server acknowledged it. */
  appliedAt: string | null;
  /** WhatsApp's id of the protocol message. */
  actionMessageId: string | null;
}

export interface MessageChangeRepository {
  add(change: { actionId: string; targetId: string; kind: ChangeKind; text: string | null; at?: Date }): Promise<void>;
  /** The changes of one message, oldest first. */
  forTarget(targetId: string): Promise<MessageChange[]>;
  /** Drops links older than `before` whose action record is gone (purged, or never written: a crash). */
  purgeOrphans(before: number): Promise<number>;
  /** The change an action record carries, if it is one. */
  byAction(actionId: string): Promise<MessageChange | null>;
}

export interface ChangeRow {
  action_id: string;
  target_id: string;
  kind: ChangeKind;
  text: string | null;
  created_at: number;
  status: MessageStatus;
  sent_at: number | null;
  wa_message_id: string | null;
}

const APPLIED = new Set<MessageStatus>(['sent', 'delivered', 'read']);

/** A change link joined with its action's record, as both stores read it. */
export function toChange(row: ChangeRow): MessageChange {
  const state = APPLIED.has(row.status) ? 'applied' : row.status === 'failed' ? 'failed' : 'pending';
  return {
    actionId: row.action_id,
    targetId: row.target_id,
    kind: row.kind,
    text: row.text,
    createdAt: new Date(row.created_at).toISOString(),
    state,
    appliedAt: state === 'applied' && row.sent_at !== null ? new Date(row.sent_at).toISOString() : null,
    actionMessageId: row.wa_message_id,
  };
}

const SELECT = `SELECT c.action_id, c.target_id, c.kind, c.text, c.created_at, m.status, m.sent_at, m.wa_message_id
  FROM message_changes c JOIN messages m ON m.id = c.action_id`;

export class SqliteMessageChangeRepository implements MessageChangeRepository {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  async add(change: { actionId: string; targetId: string; kind: ChangeKind; text: string | null; at?: Date }): Promise<void> {
    this.sql
      .prepare('INSERT INTO message_changes (action_id, target_id, kind, text, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(change.actionId, change.targetId, change.kind, change.text, (change.at ?? new Date()).getTime());
  }

  async purgeOrphans(before: number): Promise<number> {
    return this.sql
      .prepare('DELETE FROM message_changes WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = message_changes.action_id)')
      .run(before).changes;
  }

  async forTarget(targetId: string): Promise<MessageChange[]> {
    return this.sql.prepare<[string], ChangeRow>(`${SELECT} WHERE c.target_id = ? ORDER BY c.created_at, m.seq`).all(targetId).map(toChange);
  }

  async byAction(actionId: string): Promise<MessageChange | null> {
    const row = this.sql.prepare<[string], ChangeRow>(`${SELECT} WHERE c.action_id = ?`).get(actionId);
    return row ? toChange(row) : null;
  }
}
