/**
 * Message records on SQLite. Status moves only forward (see canTransition), enforced in the UPDATE
 * itself so a late receipt can never move a record back.
 */
import { randomUUID } from 'node:crypto';
import { CHANGE_KINDS, MESSAGE_STATUSES, type MessageStatus, type MessageType } from '../domain/vocabulary.js';
import { keysetPage, MAX_PAGE_SIZE } from '../store/cursor.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import type { Statement } from 'better-sqlite3';
import {
  canTransition,
  DEFAULT_PAGE_SIZE,
  summarize,
  type MessageAnalytics,
  type MessagePage,
  type MessageQuery,
  type MessageRecord,
  type MessageRepository,
  type NewMessage,
  type StatusChange,
} from './message-repository.js';
import { RecentProgress } from './recent-progress.js';

/** A messages row as both stores read it. */
export interface MessageRow {
  seq: number;
  id: string;
  wa_message_id: string | null;
  phone: string;
  jid: string;
  type: MessageType;
  summary: string | null;
  file_name: string | null;
  status: MessageStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
  queued_at: number | null;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
  failed_at: number | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toRecord(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    waMessageId: row.wa_message_id,
    phone: row.phone,
    jid: row.jid,
    type: row.type,
    summary: row.summary,
    fileName: row.file_name,
    status: row.status,
    error: row.error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    queuedAt: iso(row.queued_at),
    sentAt: iso(row.sent_at),
    deliveredAt: iso(row.delivered_at),
    readAt: iso(row.read_at),
    failedAt: iso(row.failed_at),
  };
}

/** The column that keeps when a record reached each status. */
export const STATUS_COLUMN = {
  queued: 'queued_at',
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  failed: 'failed_at',
} as const satisfies Record<MessageStatus, keyof MessageRow>;

/** canTransition as SQL: for each target, the quoted list of statuses a record may leave for it. */
const ALLOWED_FROM = Object.fromEntries(
  MESSAGE_STATUSES.map((to) => [
    to,
    MESSAGE_STATUSES.filter((from) => canTransition(from, to))
      .map((from) => `'${from}'`)
      .join(', ') || 'NULL',
  ]),
) as Record<MessageStatus, string>;

export class SqliteMessageRepository implements MessageRepository {
  private readonly sql: StatementCache;
  private readonly recent = new RecentProgress();
  /** transition's UPDATE per key column and status, so the send path builds no SQL text to look it up. */
  private readonly progressStatements = new Map<string, Statement<object, MessageRow>>();

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  async create(message: NewMessage): Promise<MessageRecord> {
    return this.insertNow(message);
  }

  /**
   * create, synchronously, for a transaction on the same file: the outbox runs it inside its
   * enqueue so a queued message's record and its job are written together or not at all.
   */
  insertNow(message: NewMessage): MessageRecord {
    const at = (message.at ?? new Date()).getTime();
    const row = this.sql
      .prepare<object, MessageRow>(
        `INSERT INTO messages (id, wa_message_id, phone, jid, type, summary, file_name, status, created_at, updated_at, queued_at, sent_at)
         VALUES (@id, @wa, @phone, @jid, @type, @summary, @fileName, @status, @at, @at, @at, @sentAt)
         RETURNING *`,
      )
      .get({
        id: message.id ?? randomUUID(),
        wa: message.waMessageId ?? null,
        phone: message.phone,
        jid: message.jid,
        type: message.type,
        summary: summarize(message.text),
        fileName: message.fileName ?? null,
        status: message.status,
        at,
        sentAt: message.status === 'sent' ? at : null,
      });
    if (!row) throw new Error('the new message record was not returned');
    return toRecord(row);
  }

  async get(id: string): Promise<MessageRecord | null> {
    return this.find('id', id);
  }

  async getByWaId(waMessageId: string): Promise<MessageRecord | null> {
    return this.find('wa_message_id', waMessageId);
  }

  async setWaMessageId(id: string, waMessageId: string): Promise<void> {
    this.sql.prepare('UPDATE messages SET wa_message_id = ? WHERE id = ?').run(waMessageId, id);
  }

  async markStatus(waMessageId: string, status: MessageStatus, at = new Date(), error?: string): Promise<StatusChange | null> {
    return this.transition('wa_message_id', waMessageId, status, at, error);
  }

  async markStatusById(id: string, status: MessageStatus, at = new Date(), error?: string): Promise<StatusChange | null> {
    // The gateway's own `sent` follows a server ack, whose listener has usually recorded it already.
    if (status !== 'sent') return this.transition('id', id, status, at, error);
    const known = this.recent.take(id);
    // Written by this repository, and statuses only move forward: the record is at least that far on disk.
    if (known && known.sentAt !== null && !canTransition(known.status, status)) return { changed: false, record: known };
    return this.transition('id', id, status, at, error, true);
  }

  async list(query: MessageQuery = {}): Promise<MessagePage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    return keysetPage<MessageRow, MessageRecord>(
      this.sql,
      'messages',
      [
        ['status = @status', 'status', query.status],
        ['type = @type', 'type', query.type],
        // Edits and deletes (src/changes/) are shown on the message they change; listed only when asked for by type.
        [`@hideChanges = 1 AND type NOT IN (${CHANGE_KINDS.map((k) => `'${k}'`).join(', ')})`, 'hideChanges', query.type === undefined ? 1 : undefined],
        ['phone = @phone', 'phone', query.phone],
        ['created_at >= @from', 'from', query.from?.getTime()],
        ['created_at < @to', 'to', query.to?.getTime()],
      ],
      { limit, cursor: query.cursor },
      toRecord,
    );
  }

  async purgeBefore(before: Date): Promise<number> {
    return this.sql.prepare("DELETE FROM messages WHERE created_at < ? AND status != 'queued'").run(before.getTime()).changes;
  }

  async analytics(range: { from?: Date; to?: Date } = {}): Promise<MessageAnalytics> {
    const rows = this.sql
      .prepare(
        `SELECT type, status, COUNT(*) AS n FROM messages
         WHERE (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)
         GROUP BY type, status`,
      )
      .all({ from: range.from?.getTime() ?? null, to: range.to?.getTime() ?? null }) as { type: string; status: MessageStatus; n: number }[];
    const zero = (): Record<MessageStatus, number> => ({ queued: 0, sent: 0, delivered: 0, read: 0, failed: 0 });
    const result: MessageAnalytics = {
      from: range.from?.toISOString() ?? null,
      to: range.to?.toISOString() ?? null,
      total: 0,
      byType: {},
      byStatus: zero(),
      byTypeAndStatus: {},
    };
    for (const row of rows) {
      result.total += row.n;
      result.byType[row.type] = (result.byType[row.type] ?? 0) + row.n;
      result.byStatus[row.status] += row.n;
      const cell = (result.byTypeAndStatus[row.type] ??= zero());
      cell[row.status] += row.n;
    }
    return result;
  }

  /**
   * One conditional UPDATE … RETURNING for the usual case (real progress), instead of a
   * SELECT/UPDATE/SELECT transaction: SQLite checks the allowed transition in the WHERE clause.
   * Each statement is atomic on its own, and better-sqlite3 runs them synchronously, so nothing
   * of ours interleaves between the progress attempt and the fallbacks below.
   *
   * `probeFirst`: progress is unlikely, so read the row first and skip the UPDATE when the state
   * machine says no (the send path confirming a `sent` that the server ack's listener recorded a
   * moment before). Statuses only move forward, so a "no" read here stays a "no".
   */
  private transition(column: 'id' | 'wa_message_id', key: string, status: MessageStatus, at: Date, error?: string, probeFirst = false): StatusChange | null {
    const atMs = at.getTime();
    if (probeFirst) {
      const row = this.byColumn(column, key);
      if (!row) return null;
      if (!canTransition(row.status, status)) return this.unchanged(row, column, key, status, atMs);
    }
    const progressed = this.progressStatement(column, status).get({ status, error: error ?? 'unknown error', at: atMs, key });
    if (progressed) {
      const record = toRecord(progressed);
      this.recent.progressed(record);
      return { changed: true, record };
    }
    const row = this.byColumn(column, key);
    return row ? this.unchanged(row, column, key, status, atMs) : null;
  }

  private progressStatement(column: 'id' | 'wa_message_id', status: MessageStatus): Statement<object, MessageRow> {
    const key = column === 'id' ? status : `wa ${status}`;
    let statement = this.progressStatements.get(key);
    if (!statement) {
      const moment = STATUS_COLUMN[status];
      statement = this.sql.prepare<object, MessageRow>(
        `UPDATE messages SET status = @status, error = CASE WHEN @status = 'failed' THEN @error ELSE error END,
           updated_at = @at, ${moment} = COALESCE(${moment}, @at)
         WHERE ${column} = @key AND status IN (${ALLOWED_FROM[status]})
         RETURNING *`,
      );
      this.progressStatements.set(key, statement);
    }
    return statement;
  }

  /**
   * A status that is no progress: it cannot move the record back, but the moment it reports is
   * still true (a `delivered` arriving after `read` fills in delivered_at). Usually the moment is
   * there already (a read is cheaper than an UPDATE that finds nothing).
   */
  private unchanged(row: MessageRow, column: 'id' | 'wa_message_id', key: string, status: MessageStatus, atMs: number): StatusChange {
    const moment = STATUS_COLUMN[status];
    if (row[moment as keyof MessageRow] === null && status !== 'failed' && status !== 'queued') {
      const filled = this.sql
        .prepare<[number, string], MessageRow>(`UPDATE messages SET ${moment} = ? WHERE ${column} = ? AND ${moment} IS NULL RETURNING *`)
        .get(atMs, key);
      if (filled) {
        const record = toRecord(filled);
        this.recent.progressed(record);
        return { changed: false, record };
      }
    }
    return { changed: false, record: toRecord(row) };
  }

  private find(column: 'id' | 'wa_message_id', key: string): MessageRecord | null {
    const row = this.byColumn(column, key);
    return row ? toRecord(row) : null;
  }

  private mustGet(column: 'id' | 'wa_message_id', key: string): MessageRecord {
    const record = this.find(column, key);
    if (!record) throw new Error(`message ${key} vanished`);
    return record;
  }

  private byColumn(column: 'id' | 'wa_message_id', key: string): MessageRow | undefined {
    return this.sql.prepare<[string], MessageRow>(`SELECT * FROM messages WHERE ${column} = ?`).get(key);
  }
}
