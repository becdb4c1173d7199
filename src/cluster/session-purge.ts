/**
 * Deleting a session in the shared store: every row the session owns in every per-session table
 * (records, outbox and its media, pacing log, received messages, edits, polls, webhook log, idempotency keys,
 * sent content, retry counters, credentials and keys) and its row in the session list go in ONE
 * transaction, fenced like a credentials write: it commits only while this node holds the
 * session's live lease with the given token (the lease row locked FOR SHARE on PostgreSQL until
 * commit, so no other node can acquire the session and write meanwhile). A session created again
 * under the same name starts empty, with a new QR.
 *
 * The lease row itself stays: tokens must never repeat for a session name (see lease-repository.ts).
 */
import { sql, type Transaction } from 'kysely';
import { FencedOffError } from './fenced-key-store.js';
import type { SqlDatabase } from './sql/database.js';
import { dbNowMs, leaseRowLock } from './sql/dialect.js';
import type { StoreSchema } from './sql/schema.js';

/**
 * Every table holding one session's data, keyed by a `session` column. A new per-session table
 * must be added here; tests/cluster/session-purge.test.ts compares this list with the database's
 * own catalogue, so a forgotten one fails there.
 */
export const SESSION_DATA_TABLES = [
  'idempotency_keys',
  'webhook_deliveries',
  'received_messages',
  'messages',
  'message_changes',
  'poll_votes',
  'polls',
  'outbox_jobs',
  'outbox_media',
  'send_log',
  'sent_content',
  'retry_counters',
  'account_restrictions',
  'session_keys',
] as const satisfies ReadonlyArray<keyof StoreSchema>;

/** Tables with a `session` column that are the cluster's, not a session's data. */
export const CLUSTER_TABLES_WITH_SESSION = ['session_leases'] as const;

export type SessionDataTable = (typeof SESSION_DATA_TABLES)[number];

export interface PurgeOptions {
  session: string;
  nodeId: string;
  /** The token of the live lease this node holds on the session. */
  token: number;
  /** Runs inside the purge's transaction, after the deletes (e.g. a NOTIFY, sent only on commit). */
  alsoInTransaction?: (trx: Transaction<StoreSchema>) => Promise<void>;
}

/** Rows deleted per table, and whether the session list had the session. */
export interface PurgeReport {
  deleted: Record<SessionDataTable, number>;
  listed: boolean;
}

/** Deletes the session's data and its list row under the lease; FencedOffError (nothing deleted) otherwise. */
export async function purgeSession(store: SqlDatabase, options: PurgeOptions): Promise<PurgeReport> {
  const { session, nodeId, token } = options;
  return store.db.transaction().execute(async (trx) => {
    const fence = await sql<{ token: number }>`
      select l.token from session_leases l
      where l.session = ${session} and l.owner_node = ${nodeId} and l.token = ${token}
        and l.expires_at > ${dbNowMs(store.dialect)}
      ${leaseRowLock(store.dialect, 'l')}`.execute(trx);
    if (fence.rows.length === 0) throw new FencedOffError(session, nodeId, token);
    const deleted = {} as Record<SessionDataTable, number>;
    for (const table of SESSION_DATA_TABLES) {
      const result = await trx.deleteFrom(table).where('session', '=', session).executeTakeFirst();
      deleted[table] = Number(result.numDeletedRows);
    }
    const listed = await trx.deleteFrom('sessions').where('name', '=', session).executeTakeFirst();
    await options.alsoInTransaction?.(trx);
    return { deleted, listed: listed.numDeletedRows > 0n };
  });
}
