/**
 * The gateway's one embedded store: a SQLite file in the data folder. Everything that must survive
 * a restart (credentials, message records, outbox, idempotency keys, webhook deliveries) lives here,
 * so a backup is one file and a crash never leaves two stores disagreeing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** Only tests pass their own list; production always runs MIGRATIONS. */
  migrations?: readonly Migration[];
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, logger: Logger = pino({ level: 'silent' }), options: OpenDatabaseOptions = {}): SqliteDatabase {
  const log = logger.child({ module: 'store' });
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    // WAL lets readers (GET /api/messages) run while the outbox worker writes.
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes (kill -9) in WAL mode; only an OS crash can lose
    // the last commits, and FULL would fsync on every status receipt.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    const applied = migrate(db, options.migrations ?? MIGRATIONS, log);
    log.info({ file, schemaVersion: currentSchemaVersion(db), applied }, 'database ready');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function currentSchemaVersion(db: SqliteDatabase): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null } | undefined;
  return row?.version ?? 0;
}
