/**
 * The few places where SQLite and PostgreSQL SQL differ, kept in one file so every query above it is
 * written once. Everything else (upserts with ON CONFLICT … DO UPDATE … WHERE, RETURNING, CTEs with
 * column lists, INSERT … SELECT) means the same in both.
 */
import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely, type RawBuilder, type Transaction } from 'kysely';

export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * "Now" in epoch ms, read from the DATABASE's clock, never a node's: with several nodes on one
 * PostgreSQL, lease expiry is then decided by one clock and the nodes' skew does not matter.
 * PostgreSQL's now() is the transaction's start, which for our single-statement operations is the
 * moment the statement began; SQLite's julianday('now') is fixed for the statement too.
 */
export function dbNowMs(dialect: SqlDialectName): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from now()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000.0 as integer)`;
}

/** Column type for raw bytes: SQLite's BLOB, PostgreSQL's BYTEA. */
export function bytesType(dialect: SqlDialectName): 'blob' | 'bytea' {
  return dialect === 'postgres' ? 'bytea' : 'blob';
}

/**
 * A bound byte parameter. PostgreSQL types a parameter inside VALUES or a SELECT list as text unless
 * told otherwise, so bytes are cast explicitly (a no-op on SQLite).
 */
export function bytesParam(dialect: SqlDialectName, value: Buffer | null): RawBuilder<Buffer | null> {
  return sql<Buffer | null>`cast(${value} as ${sql.raw(bytesType(dialect))})`;
}

/**
 * Row lock taken by a fenced write on the lease row it joins. On PostgreSQL a write holding FOR
 * SHARE on the lease makes a concurrent acquisition wait for the write to commit (and a write that
 * waits on an acquisition re-checks the new token and finds nothing), so no write with an old token
 * can commit after a newer token was granted. SQLite runs one write statement at a time over the
 * whole file, which gives the same ordering with no clause.
 */
export function leaseRowLock(dialect: SqlDialectName, alias: string): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`for share of ${sql.ref(alias)}` : sql``;
}

/**
 * A table's insertion counter `seq` (the keyset-paging key): SQLite's INTEGER PRIMARY KEY
 * AUTOINCREMENT (never reuses a deleted row's number), PostgreSQL's identity column. Use as
 * `createTable(…).$call((t) => addSequenceColumn(t, dialect))`.
 */
export function addSequenceColumn<TB extends string, C extends string>(
  table: CreateTableBuilder<TB, C>,
  dialect: SqlDialectName,
): CreateTableBuilder<TB, C | 'seq'> {
  return dialect === 'postgres'
    ? table.addColumn('seq', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    : table.addColumn('seq', 'integer', (col) => col.primaryKey().autoIncrement());
}

/** The dialect a Kysely instance (or transaction) speaks, for repositories constructed with only `db`. */
export function dialectOf<DB>(db: Kysely<DB>): SqlDialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Makes a read-then-write transaction (check a quota, then insert) wait for any other holding the
 * same key until it commits. On PostgreSQL a transaction-scoped advisory lock: under READ COMMITTED
 * two transactions would otherwise both count the rows before either inserted. SQLite needs none:
 * Kysely's SQLite dialect runs one connection, one transaction at a time, and a second connection's
 * write after a stale read is refused (SQLITE_BUSY_SNAPSHOT) rather than let through.
 */
export async function lockUntilCommit<DB>(trx: Transaction<DB>, key: string): Promise<void> {
  if (dialectOf(trx) === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}
