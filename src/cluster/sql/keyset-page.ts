/**
 * Newest-first keyset paging for the shared store, with the same cursors, totals and page shape as
 * the embedded store's `keysetPage` (src/store/cursor.ts), so a client cannot tell them apart. The
 * caller applies its filters (and the session) to both queries; this adds the cursor and the limit.
 */
import { decodeCursor, encodeCursor, type Page } from '../../store/cursor.js';

export interface KeysetQueries<Row extends { seq: number }> {
  /** Rows matching the filters, across all pages. */
  count(): Promise<number | string | bigint>;
  /** Up to `limit` rows matching the filters with seq < `before` (all when undefined), by seq descending. */
  rows(before: number | undefined, limit: number): Promise<Row[]>;
}

/** Throws InvalidCursorError for a cursor this store never handed out. */
export async function keysetPage<Row extends { seq: number }, T>(
  queries: KeysetQueries<Row>,
  page: { limit: number; cursor?: string },
  toItem: (row: Row) => T,
): Promise<Page<T>> {
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const total = Number(await queries.count());
  // One row more than the page tells whether another page follows.
  const rows = await queries.rows(before, page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(toItem), total, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null };
}
