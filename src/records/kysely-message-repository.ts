/**
 * Message records in the shared store (SQLite or PostgreSQL through Kysely), one session's among
 * many: the same answers, state machine, cursors and purge rule as SqliteMessageRepository, every
 * query scoped by `session` (a record id and a WhatsApp id are unique per session, not across them).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { keysetPage } from '../cluster/sql/keyset-page.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { CHANGE_KINDS, MESSAGE_STATUSES, type MessageStatus } from '../domain/vocabulary.js';
import { MAX_PAGE_SIZE } from '../store/cursor.js';
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
import { STATUS_COLUMN, toRecord, type MessageRow } from './sqlite-message-repository.js';

type KeyColumn = 'id' | 'wa_message_id';

/** For each target status, the statuses a record may leave for it (canTransition as a list). */
const ALLOWED_FROM = Object.fromEntries(MESSAGE_STATUSES.map((to) => [to, MESSAGE_STATUSES.filter((from) => canTransition(from, to))])) as Record<
  MessageStatus,
  MessageStatus[]
>;

/**
 * Writes a new record with `db`, which may be a transaction: the outbox writes a queued message's
 * record this way inside its enqueue, so the record and its job commit together or not at all.
 */
export async function insertMessage(db: Kysely<StoreSchema>, session: string, message: NewMessage): Promise<MessageRecord> {
  const at = (message.at ?? new Date()).getTime();
  const row = await db
    .insertInto('messages')
    .values({
      session,
      id: message.id ?? randomUUID(),
      wa_message_id: message.waMessageId ?? null,
      phone: message.phone,
      jid: message.jid,
      type: message.type,
      summary: summarize(message.text),
      file_name: message.fileName ?? null,
      status: message.status,
      error: null,
      created_at: at,
      updated_at: at,
      queued_at: at,
      sent_at: message.status === 'sent' ? at : null,
      delivered_at: null,
      read_at: null,
      failed_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export class KyselyMessageRepository implements MessageRepository {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
  ) {}

  async create(message: NewMessage): Promise<MessageRecord> {
    return insertMessage(this.db, this.session, message);
  }

  async get(id: string): Promise<MessageRecord | null> {
    const row = await this.byColumn('id', id);
    return row ? toRecord(row) : null;
  }

  async getByWaId(waMessageId: string): Promise<MessageRecord | null> {
    const row = await this.byColumn('wa_message_id', waMessageId);
    return row ? toRecord(row) : null;
  }

  async setWaMessageId(id: string, waMessageId: string): Promise<void> {
    await this.db.updateTable('messages').set({ wa_message_id: waMessageId }).where('session', '=', this.session).where('id', '=', id).execute();
  }

  async markStatus(waMessageId: string, status: MessageStatus, at = new Date(), error?: string): Promise<StatusChange | null> {
    return this.transition('wa_message_id', waMessageId, status, at, error);
  }

  async markStatusById(id: string, status: MessageStatus, at = new Date(), error?: string): Promise<StatusChange | null> {
    // The gateway's own `sent` follows a server ack, whose listener has usually recorded it already.
    return this.transition('id', id, status, at, error, status === 'sent');
  }

  async list(query: MessageQuery = {}): Promise<MessagePage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const { status, type, phone } = query;
    const from = query.from?.getTime();
    const to = query.to?.getTime();
    const filtered = this.db
      .selectFrom('messages')
      .where('session', '=', this.session)
      .$if(status !== undefined, (qb) => qb.where('status', '=', status!))
      // Edits and deletes (src/changes/) are shown on the message they change; listed only when asked for by type.
      .$if(type !== undefined, (qb) => qb.where('type', '=', type!))
      .$if(type === undefined, (qb) => qb.where('type', 'not in', [...CHANGE_KINDS]))
      .$if(phone !== undefined, (qb) => qb.where('phone', '=', phone!))
      .$if(from !== undefined, (qb) => qb.where('created_at', '>=', from!))
      .$if(to !== undefined, (qb) => qb.where('created_at', '<', to!));
    return keysetPage(filtered.selectAll(), { limit, cursor: query.cursor }, toRecord);
  }

  async purgeBefore(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('messages')
      .where('session', '=', this.session)
      .where('created_at', '<', before.getTime())
      .where('status', '!=', 'queued')
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async analytics(range: { from?: Date; to?: Date } = {}): Promise<MessageAnalytics> {
    const from = range.from?.getTime();
    const to = range.to?.getTime();
    const rows = await this.db
      .selectFrom('messages')
      .select(['type', 'status', (eb) => eb.fn.countAll().as('n')])
      .where('session', '=', this.session)
      .$if(from !== undefined, (qb) => qb.where('created_at', '>=', from!))
      .$if(to !== undefined, (qb) => qb.where('created_at', '<', to!))
      .groupBy(['type', 'status'])
      .execute();
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
      const n = Number(row.n);
      result.total += n;
      result.byType[row.type] = (result.byType[row.type] ?? 0) + n;
      result.byStatus[row.status] += n;
      const cell = (result.byTypeAndStatus[row.type] ??= zero());
      cell[row.status] += n;
    }
    return result;
  }

  /**
   * Real progress is one conditional UPDATE … RETURNING (the allowed transition checked in its
   * WHERE), so two nodes, or a receipt and the send path, racing on one record cannot move it
   * backwards: the database orders the two statements and the loser's WHERE no longer matches.
   * The fallbacks after it are safe between statements too, because a status only moves forward
   * and a moment is only filled in while still empty.
   *
   * `probeFirst`: progress is unlikely (the send path confirming a `sent` the server ack's listener
   * recorded a moment before), so read the row first and skip the UPDATE when the state machine says no.
   */
  private async transition(column: KeyColumn, key: string, status: MessageStatus, at: Date, error?: string, probeFirst = false): Promise<StatusChange | null> {
    const atMs = at.getTime();
    if (probeFirst) {
      const row = await this.byColumn(column, key);
      if (!row) return null;
      if (!canTransition(row.status, status)) return this.unchanged(row, column, key, status, atMs);
    }
    const moment = STATUS_COLUMN[status];
    const allowedFrom = ALLOWED_FROM[status];
    // Nothing may move to `queued`: no statement to run.
    const progressed =
      allowedFrom.length === 0
        ? undefined
        : await this.db
            .updateTable('messages')
            .set((eb) => ({
              status,
              updated_at: atMs,
              [moment]: eb.fn.coalesce(moment, eb.val(atMs)),
              ...(status === 'failed' ? { error: error ?? 'unknown error' } : {}),
            }))
            .where('session', '=', this.session)
            .where(column, '=', key)
            .where('status', 'in', allowedFrom)
            .returningAll()
            .executeTakeFirst();
    if (progressed) return { changed: true, record: toRecord(progressed) };
    const row = await this.byColumn(column, key);
    return row ? this.unchanged(row, column, key, status, atMs) : null;
  }

  /**
   * A status that is no progress: it cannot move the record back, but the moment it reports is
   * still true (a `delivered` arriving after `read` fills in delivered_at).
   */
  private async unchanged(row: MessageRow, column: KeyColumn, key: string, status: MessageStatus, atMs: number): Promise<StatusChange> {
    const moment = STATUS_COLUMN[status];
    if (row[moment] === null && status !== 'failed' && status !== 'queued') {
      const filled = await this.db
        .updateTable('messages')
        .set({ [moment]: atMs })
        .where('session', '=', this.session)
        .where(column, '=', key)
        .where(moment, 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (filled) return { changed: false, record: toRecord(filled) };
    }
    return { changed: false, record: toRecord(row) };
  }

  private async byColumn(column: KeyColumn, key: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').selectAll().where('session', '=', this.session).where(column, '=', key).executeTakeFirst();
  }
}
