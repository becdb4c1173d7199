/**
 * Newest-first keyset paging for the shared store, with the same cursors, totals and page shape as
 * the embedded store's `keysetPage` (src/store/cursor.ts), so a client cannot tell them apart. The
 * caller applies its filters (and the session) to the query; this counts it, adds the cursor and
 * the limit.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from '../../store/cursor.js';

/**
 * One page of `query`: the rows of one table with a `seq` column (the insertion counter, the
 * paging key), filtered and selected by the caller. Throws InvalidCursorError for a cursor this
 * store never handed out.
 */
export async function keysetPage<DB, Table extends keyof DB, Row extends { seq: number }, T>(
  query: SelectQueryBuilder<DB, Table, Row>,
  page: { limit: number; cursor?: string },
  toItem: (row: Row) => T,
): Promise<Page<T>> {
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const { n } = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll().as('n'))
    // Kysely cannot name a selection over a generic table; the count's own type is this.
    .$castTo<{ n: number | string | bigint }>()
    .executeTakeFirstOrThrow();
  const total = Number(n);
  const seq = sql.ref<number>('seq');
  // One row more than the page tells whether another page follows.
  const newestFirst = query.orderBy(seq, 'desc').limit(page.limit + 1);
  const rows: Row[] = await (before === undefined ? newestFirst : newestFirst.where(seq, '<', before)).execute();
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(toItem), total, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null };
}
