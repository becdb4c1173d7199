/**
 * Opens the shared store: SQLite (embedded, one node) or PostgreSQL (several nodes), behind one
 * Kysely instance so every repository is written once for both. Runs pending migrations.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type PostgresPool } from 'kysely';
import type pgModule from 'pg';
import { loadOnFirstUse } from '../../load-on-first-use.js';
import type { SqlDialectName } from './dialect.js';
import { migrateToLatest } from './migrations.js';
import type { ClusterSchema } from './schema.js';
import { StoreUnavailableError } from './store-unavailable.js';

export type DatabaseTarget =
  | { sqlitePath: string; /** How long a writer waits for another connection's lock. */ busyTimeoutMs?: number }
  | { databaseUrl: string; /** Connections in the pool (default 10). */ poolSize?: number };

export interface SqlDatabase {
  db: Kysely<ClusterSchema>;
  dialect: SqlDialectName;
  /** The migrations this open applied (empty when the schema was current). */
  applied: string[];
  close(): Promise<void>;
}

/** pg (~3 MB of heap) is for cluster mode only: an embedded gateway never loads it. */
const pg = loadOnFirstUse<typeof pgModule>('pg');

const PG_INT8 = 20;
/** How long taking a new PostgreSQL connection may take before the store counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * pg returns int8 as a string to avoid losing precision; our bigints (epoch ms, fencing tokens,
 * counts) are all below 2^53, so they are numbers, and anything larger fails loudly.
 */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid !== PG_INT8) return pg().types.getTypeParser(oid, format);
    return (text: string) => {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new RangeError(`int8 ${text} does not fit a JS number`);
      return value;
    };
  }) as typeof pgModule.types.getTypeParser,
};

/**
 * The PostgreSQL pool Kysely takes connections from: int8 as numbers, a bounded connect, and a
 * connection that cannot be had raised as StoreUnavailableError (the store is unreachable; nothing
 * was written) rather than as a failed statement.
 */
export function postgresPool(databaseUrl: string, size: number): PostgresPool {
  const pool = new (pg().Pool)({
    connectionString: databaseUrl,
    max: size,
    types: pgTypes,
    // Without a bound a connect to an unreachable host waits for the kernel's TCP timeout (minutes).
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle client's connection dropping (server restart, network cut) must not crash the process;
  // the next query gets a fresh connection or fails where it is awaited.
  pool.on('error', () => undefined);
  // A connection that cannot be had is the store being unreachable, not a failed statement.
  const connect = async () => {
    try {
      return await pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
  };
  return { connect, end: () => pool.end() };
}

export async function openDatabase(target: DatabaseTarget): Promise<SqlDatabase> {
  let db: Kysely<ClusterSchema>;
  let dialect: SqlDialectName;
  if ('databaseUrl' in target) {
    dialect = 'postgres';
    db = new Kysely<ClusterSchema>({ dialect: new PostgresDialect({ pool: postgresPool(target.databaseUrl, target.poolSize ?? 10) }) });
  } else {
    dialect = 'sqlite';
    if (target.sqlitePath !== ':memory:') mkdirSync(dirname(target.sqlitePath), { recursive: true });
    const sqlite = new Database(target.sqlitePath);
    // WAL: readers never wait for the writer; NORMAL is durable across process crashes in WAL mode.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(target.busyTimeoutMs ?? 5000))}`);
    db = new Kysely<ClusterSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  try {
    const applied = await migrateToLatest(db, dialect);
    return { db, dialect, applied, close: () => db.destroy() };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
