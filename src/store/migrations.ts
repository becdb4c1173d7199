/**
 * Versioned schema migrations. Append only: a released migration is never edited, a change is a
 * new entry, so every existing database walks the same path to the current schema.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { LATER_MIGRATIONS } from './later-migrations.js';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );

        -- Baileys credentials: a single row, BufferJSON-encoded like creds.json.
        CREATE TABLE auth_creds (
          id   INTEGER PRIMARY KEY CHECK (id = 1),
          data TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );

        -- Signal keys, one row per (type, id) like one file per key in the multi-file state.
        CREATE TABLE auth_keys (
          type TEXT NOT NULL,
          id   TEXT NOT NULL,
          data TEXT NOT NULL,
          PRIMARY KEY (type, id)
        ) WITHOUT ROWID;

        CREATE TABLE messages (
          seq            INTEGER PRIMARY KEY AUTOINCREMENT,
          id             TEXT NOT NULL UNIQUE,
          wa_message_id  TEXT UNIQUE,
          phone          TEXT NOT NULL,
          jid            TEXT NOT NULL,
          type           TEXT NOT NULL,
          summary        TEXT,
          file_name      TEXT,
          status         TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
          error          TEXT,
          created_at     INTEGER NOT NULL,
          updated_at     INTEGER NOT NULL,
          queued_at      INTEGER,
          sent_at        INTEGER,
          delivered_at   INTEGER,
          read_at        INTEGER,
          failed_at      INTEGER
        );
        CREATE INDEX messages_created ON messages (created_at);
        CREATE INDEX messages_phone ON messages (phone, seq);
        CREATE INDEX messages_status ON messages (status, seq);

        CREATE TABLE outbox_jobs (
          seq            INTEGER PRIMARY KEY AUTOINCREMENT,
          message_id     TEXT NOT NULL UNIQUE,
          jid            TEXT NOT NULL,
          kind           TEXT NOT NULL,
          text           TEXT,
          media_path     TEXT,
          media_bytes    INTEGER NOT NULL DEFAULT 0,
          file_name      TEXT,
          mimetype       TEXT,
          caption        TEXT,
          options        TEXT,
          status         TEXT NOT NULL CHECK (status IN ('queued', 'in_flight', 'sent', 'failed')),
          wa_message_id  TEXT UNIQUE,
          attempts       INTEGER NOT NULL DEFAULT 0,
          not_before     INTEGER,
          error          TEXT,
          created_at     INTEGER NOT NULL,
          started_at     INTEGER,
          finished_at    INTEGER
        );
        CREATE INDEX outbox_jobs_status ON outbox_jobs (status, seq);

        -- Recent sends to any recipient, outbox or direct, for the pacing policy.
        CREATE TABLE send_log (
          jid TEXT NOT NULL,
          at  INTEGER NOT NULL
        );
        CREATE INDEX send_log_at ON send_log (at);
        CREATE INDEX send_log_jid ON send_log (jid, at);

        CREATE TABLE idempotency_keys (
          scope        TEXT NOT NULL,
          key          TEXT NOT NULL,
          fingerprint  TEXT NOT NULL,
          state        TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
          status_code  INTEGER,
          response     TEXT,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          PRIMARY KEY (scope, key)
        ) WITHOUT ROWID;
        CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

        CREATE TABLE webhook_deliveries (
          seq              INTEGER PRIMARY KEY AUTOINCREMENT,
          id               TEXT NOT NULL UNIQUE,
          event_id         TEXT NOT NULL,
          event_type       TEXT NOT NULL,
          url              TEXT NOT NULL,
          payload          TEXT NOT NULL,
          status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
          attempts         INTEGER NOT NULL DEFAULT 0,
          next_attempt_at  INTEGER,
          last_error       TEXT,
          last_status_code INTEGER,
          created_at       INTEGER NOT NULL,
          updated_at       INTEGER NOT NULL,
          delivered_at     INTEGER
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
        CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
      `);
    },
  },
  {
    version: 2,
    name: 'incoming messages kept for media download',
    up: (db) => {
      db.exec(`
        -- Incoming messages with media: the raw WhatsApp message (BufferJSON) holds the media key
        -- needed to download and decrypt the file later, from GET /api/media/:messageId.
        CREATE TABLE incoming_messages (
          message_id  TEXT PRIMARY KEY,
          from_jid    TEXT NOT NULL,
          type        TEXT NOT NULL,
          raw         TEXT NOT NULL,
          received_at INTEGER NOT NULL
        );
        CREATE INDEX incoming_messages_received_at ON incoming_messages (received_at);
      `);
    },
  },
  {
    version: 3,
    name: 'messages that arrive: idempotency bound to records, sent content, retry counters',
    up: (db) => {
      db.exec(`
        -- The record an Idempotency-Key's request created, so a retry after an unknown outcome (or a
        -- crash) reuses it and its WhatsApp id; resumable = the next retry with that key may continue it.
        ALTER TABLE idempotency_keys ADD COLUMN message_id TEXT;
        ALTER TABLE idempotency_keys ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0;

        -- The protobuf of each message we sent, to answer retry receipts (Baileys' getMessage);
        -- deleted after MESSAGE_CONTENT_RETENTION.
        CREATE TABLE sent_content (
          wa_message_id TEXT PRIMARY KEY,
          jid           TEXT NOT NULL,
          content       BLOB NOT NULL,
          created_at    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX sent_content_created ON sent_content (created_at);

        -- Baileys' msgRetryCounterCache: how often each message was re-sent for a retry receipt.
        CREATE TABLE retry_counters (
          key        TEXT PRIMARY KEY,
          value      TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  ...LATER_MIGRATIONS,
];

/** Applies every migration newer than the database, each in its own transaction; returns their versions. */
export function migrate(db: Database.Database, migrations: readonly Migration[], logger?: Logger): number[] {
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    // A newer gateway wrote this file; running old code against it could corrupt data silently.
    throw new Error(`Database schema version ${current} is newer than this gateway supports (${latest}); upgrade the gateway or restore a backup`);
  }
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    // IMMEDIATE takes the write lock up front and the check is repeated under it, so two
    // processes opening the same file at once cannot both run a migration.
    const ran = db
      .transaction(() => {
        if (isApplied.get(migration.version)) return false;
        migration.up(db);
        record.run(migration.version, migration.name, new Date().toISOString());
        return true;
      })
      .immediate();
    if (!ran) continue;
    logger?.info({ version: migration.version, name: migration.name }, 'migration applied');
    applied.push(migration.version);
  }
  return applied;
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migrations must be numbered 1..n without gaps; entry ${i} has version ${m.version}`);
  });
}
