/**
 * Idempotency keys of requests whose node died mid-request. A key in progress answers every retry
 * with 409 IDEMPOTENCY_KEY_IN_PROGRESS; on one node a crash is followed by a restart that resolves
 * its keys (`recoverInterrupted`), but in a cluster the client retries on another node at once, and
 * the dead node may never come back. So every node, each balancing round, resolves the keys claimed
 * by nodes that are no longer live members, across all sessions, as a restart would: a key bound
 * to a message record becomes resumable (the retry continues that record under its WhatsApp id:
 * answered from it if it went out, sent under the same id if not), a key whose request never got
 * as far as a record is released (nothing was sent). One statement each, judged by the database's
 * clock against `cluster_nodes`, so a node that is merely slow is never mistaken for a dead one
 * before its membership has expired; idempotent, so nodes running it at once do no harm.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import { dbNowMs, dialectOf } from './sql/dialect.js';
import type { StoreSchema } from './sql/schema.js';

type KeyRow = ExpressionBuilder<StoreSchema, 'idempotency_keys'>;

/** The key was claimed by a node (recorded) that is not a live member now. */
export function claimedByGoneNode(db: Kysely<StoreSchema>) {
  const dialect = dialectOf(db);
  return (eb: KeyRow) =>
    eb.and([
      eb('claimed_by', 'is not', null),
      eb('claimed_by', 'not in', eb.selectFrom('cluster_nodes').select('node_id').where('expires_at', '>', dbNowMs(dialect))),
    ]);
}

/** No live node holds the key: none recorded (claimed before migration 0023, imported) or a gone one. */
export function claimedByNoLiveNode(db: Kysely<StoreSchema>) {
  const gone = claimedByGoneNode(db);
  return (eb: KeyRow) => eb.or([eb('claimed_by', 'is', null), gone(eb)]);
}

export async function resolveAbandonedRequests(db: Kysely<StoreSchema>): Promise<{ resumable: number; released: number }> {
  const gone = claimedByGoneNode(db);
  const parked = await db
    .updateTable('idempotency_keys')
    .set({ resumable: 1 })
    .where('state', '=', 'in_progress')
    .where('message_id', 'is not', null)
    .where('resumable', '=', 0)
    .where(gone)
    .executeTakeFirst();
  const dropped = await db.deleteFrom('idempotency_keys').where('state', '=', 'in_progress').where('message_id', 'is', null).where(gone).executeTakeFirst();
  return { resumable: Number(parked.numUpdatedRows), released: Number(dropped.numDeletedRows) };
}
