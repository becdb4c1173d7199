/** Keyset pagination cursors: the last row's sequence number, opaque to clients. */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('Invalid pagination cursor');
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const seq = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(seq) || seq <= 0) throw new InvalidCursorError();
  return seq;
}

/** One equality or range condition of a page query; undefined values are left out. */
export type PageFilter = [clause: string, name: string, value: string | number | undefined];

export interface Page<T> {
  items: T[];
  /** Rows matching the filters, across all pages. */
  total: number;
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Newest-first keyset pagination on a table's `seq` column: stable while rows are added, unlike
 * OFFSET. Clauses are fixed SQL written by the caller; values are bound as parameters.
 */
export function keysetPage<Row extends { seq: number }, T>(
  db: { prepare(sql: string): { get(params: object): unknown; all(params: object): unknown[] } },
  table: string,
  filters: PageFilter[],
  page: { limit: number; cursor?: string },
  toItem: (row: Row) => T,
): Page<T> {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  for (const [clause, name, value] of filters) {
    if (value === undefined) continue;
    where.push(clause);
    params[name] = value;
  }
  const sqlWhere = () => (where.length > 0 ? `WHERE ${where.join(' AND ')}` : '');
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${table} ${sqlWhere()}`).get(params) as { n: number }).n;
  if (page.cursor !== undefined) {
    where.push('seq < @before');
    params.before = decodeCursor(page.cursor);
  }
  const rows = db.prepare(`SELECT * FROM ${table} ${sqlWhere()} ORDER BY seq DESC LIMIT @limit`).all({ ...params, limit: page.limit + 1 }) as Row[];
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(toItem), total, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null };
}

/** The largest page a list route hands out. */
export const MAX_PAGE_SIZE = 200;
