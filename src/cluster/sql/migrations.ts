/**
 * Schema migrations for the shared store, written once with Kysely's schema builder for both
 * dialects (only the bytes column type and the insertion counter differ, see dialect.ts). Kysely's Migrator records them in
 * `kysely_migration` and takes `kysely_migration_lock` first, so several nodes starting together
 * against one PostgreSQL apply each migration exactly once. Migrations are append-only: never edit
 * one that has shipped, add the next.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { addSequenceColumn, bytesType, type SqlDialectName } from './dialect.js';
import { sessionDataMigrations } from './session-data-migrations.js';

// Migrations see the schema as it was when they were written, not today's, hence `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function clusterMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_session_leases': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('session_leases')
          .addColumn('session', 'text', (col) => col.primaryKey())
          .addColumn('owner_node', 'text', (col) => col.notNull())
          .addColumn('token', 'bigint', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .execute();
        // "Which sessions does node X hold" is asked on every renewal round and by the balancer.
        await db.schema.createIndex('session_leases_owner').on('session_leases').columns(['owner_node', 'expires_at']).execute();
        await db.schema
          .createTable('cluster_nodes')
          .addColumn('node_id', 'text', (col) => col.primaryKey())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .execute();
      },
    },
    '0002_session_keys': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('session_keys')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('type', 'text', (col) => col.notNull())
          .addColumn('id', 'text', (col) => col.notNull())
          .addColumn('value', bytesType(dialect))
          .addPrimaryKeyConstraint('session_keys_pk', ['session', 'type', 'id'])
          .execute();
      },
    },
    // The per-session tables mirror the embedded store's (src/store/migrations.ts) plus `session`.
    '0003_idempotency_keys': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('scope', 'text', (col) => col.notNull())
          .addColumn('key', 'text', (col) => col.notNull())
          .addColumn('fingerprint', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('response', 'text')
          .addColumn('message_id', 'text')
          .addColumn('resumable', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['session', 'scope', 'key'])
          .addCheckConstraint('idempotency_keys_state', sql`state in ('in_progress', 'completed')`)
          .execute();
        await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').columns(['session', 'expires_at']).execute();
      },
    },
    '0004_webhook_deliveries': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('webhook_deliveries')
          .$call((t) => addSequenceColumn(t, dialect))
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('id', 'text', (col) => col.notNull())
          .addColumn('event_id', 'text', (col) => col.notNull())
          .addColumn('event_type', 'text', (col) => col.notNull())
          .addColumn('url', 'text', (col) => col.notNull())
          .addColumn('payload', 'text', (col) => col.notNull())
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .addColumn('delivered_at', 'bigint')
          .addUniqueConstraint('webhook_deliveries_id', ['session', 'id'])
          .addCheckConstraint('webhook_deliveries_status', sql`status in ('pending', 'delivered', 'failed')`)
          .execute();
        await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['session', 'status', 'next_attempt_at']).execute();
        await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['session', 'event_id']).execute();
        // Listing pages newest first within a session.
        await db.schema.createIndex('webhook_deliveries_session_seq').on('webhook_deliveries').columns(['session', 'seq']).execute();
      },
    },
    '0005_received_messages': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('received_messages')
          .$call((t) => addSequenceColumn(t, dialect))
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('message_id', 'text', (col) => col.notNull())
          .addColumn('chat', 'text', (col) => col.notNull())
          .addColumn('from_jid', 'text', (col) => col.notNull())
          .addColumn('from_phone', 'text')
          .addColumn('type', 'text', (col) => col.notNull())
          .addColumn('summary', 'text')
          .addColumn('data', 'text')
          .addColumn('raw', 'text', (col) => col.notNull())
          .addColumn('sent_at', 'bigint', (col) => col.notNull())
          .addColumn('received_at', 'bigint', (col) => col.notNull())
          .addColumn('edited_text', 'text')
          .addColumn('edited_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addUniqueConstraint('received_messages_message_id', ['session', 'message_id'])
          .execute();
        await db.schema.createIndex('received_messages_received_at').on('received_messages').columns(['session', 'received_at']).execute();
        await db.schema.createIndex('received_messages_chat').on('received_messages').columns(['session', 'chat', 'seq']).execute();
        await db.schema.createIndex('received_messages_session_seq').on('received_messages').columns(['session', 'seq']).execute();
      },
    },
    '0006_messages': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('messages')
          .$call((t) => addSequenceColumn(t, dialect))
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('id', 'text', (col) => col.notNull())
          .addColumn('wa_message_id', 'text')
          .addColumn('phone', 'text', (col) => col.notNull())
          .addColumn('jid', 'text', (col) => col.notNull())
          .addColumn('type', 'text', (col) => col.notNull())
          .addColumn('summary', 'text')
          .addColumn('file_name', 'text')
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('error', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .addColumn('queued_at', 'bigint')
          .addColumn('sent_at', 'bigint')
          .addColumn('delivered_at', 'bigint')
          .addColumn('read_at', 'bigint')
          .addColumn('failed_at', 'bigint')
          .addUniqueConstraint('messages_id', ['session', 'id'])
          // Both dialects let several rows have no WhatsApp id yet (NULLs are distinct).
          .addUniqueConstraint('messages_wa_message_id', ['session', 'wa_message_id'])
          .addCheckConstraint('messages_status', sql`status in ('queued', 'sent', 'delivered', 'read', 'failed')`)
          .execute();
        await db.schema.createIndex('messages_created').on('messages').columns(['session', 'created_at']).execute();
        await db.schema.createIndex('messages_phone').on('messages').columns(['session', 'phone', 'seq']).execute();
        await db.schema.createIndex('messages_status').on('messages').columns(['session', 'status', 'seq']).execute();
        await db.schema.createIndex('messages_session_seq').on('messages').columns(['session', 'seq']).execute();
      },
    },
    '0007_message_changes': {
      up: async (db: AnyDb) => {
        // As in the embedded store: the change is linked before its action record exists, so
        // action_id has no foreign key; purging the target drops its changes.
        await db.schema
          .createTable('message_changes')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('action_id', 'text', (col) => col.notNull())
          .addColumn('target_id', 'text', (col) => col.notNull())
          .addColumn('kind', 'text', (col) => col.notNull())
          .addColumn('text', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('message_changes_pk', ['session', 'action_id'])
          .addForeignKeyConstraint('message_changes_target_fk', ['session', 'target_id'], 'messages', ['session', 'id'], (fk) => fk.onDelete('cascade'))
          .addCheckConstraint('message_changes_kind', sql`kind in ('edit', 'delete')`)
          .execute();
        await db.schema.createIndex('message_changes_target').on('message_changes').columns(['session', 'target_id', 'created_at']).execute();
      },
    },
    '0008_polls': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('polls')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('record_id', 'text', (col) => col.notNull())
          .addColumn('question', 'text', (col) => col.notNull())
          .addColumn('options', 'text', (col) => col.notNull())
          .addColumn('selectable_count', 'integer', (col) => col.notNull())
          .addColumn('message_secret', bytesType(dialect), (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('polls_pk', ['session', 'record_id'])
          .execute();
        await db.schema
          .createTable('poll_votes')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('record_id', 'text', (col) => col.notNull())
          .addColumn('voter', 'text', (col) => col.notNull())
          .addColumn('voter_phone', 'text')
          .addColumn('voter_lid', 'text')
          .addColumn('options', 'text', (col) => col.notNull())
          .addColumn('voted_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('poll_votes_pk', ['session', 'record_id', 'voter'])
          .execute();
      },
    },
    '0009_outbox': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('outbox_jobs')
          .$call((t) => addSequenceColumn(t, dialect))
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('message_id', 'text', (col) => col.notNull())
          .addColumn('jid', 'text', (col) => col.notNull())
          .addColumn('kind', 'text', (col) => col.notNull())
          .addColumn('text', 'text')
          .addColumn('media_path', 'text')
          .addColumn('media_bytes', 'bigint', (col) => col.notNull().defaultTo(0))
          .addColumn('file_name', 'text')
          .addColumn('mimetype', 'text')
          .addColumn('caption', 'text')
          .addColumn('options', 'text')
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('wa_message_id', 'text')
          .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('not_before', 'bigint')
          .addColumn('error', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addUniqueConstraint('outbox_jobs_message_id', ['session', 'message_id'])
          .addUniqueConstraint('outbox_jobs_wa_message_id', ['session', 'wa_message_id'])
          .addCheckConstraint('outbox_jobs_status', sql`status in ('queued', 'in_flight', 'sent', 'failed')`)
          .execute();
        await db.schema.createIndex('outbox_jobs_status').on('outbox_jobs').columns(['session', 'status', 'seq']).execute();
        // Recent sends to any recipient, outbox or direct, for the pacing policy.
        await db.schema
          .createTable('send_log')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('jid', 'text', (col) => col.notNull())
          .addColumn('at', 'bigint', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('send_log_at').on('send_log').columns(['session', 'at']).execute();
        await db.schema.createIndex('send_log_jid').on('send_log').columns(['session', 'jid', 'at']).execute();
      },
    },
    // The media of a send accepted by a node that does not drive the session: its bytes travel with
    // the job (written in the job's transaction, deleted in the one that settles it), since the
    // accepting node's spool folder is out of the driving node's reach.
    '0010_outbox_media': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('outbox_media')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('message_id', 'text', (col) => col.notNull())
          .addColumn('bytes', bytesType(dialect), (col) => col.notNull())
          .addColumn('mimetype', 'text', (col) => col.notNull())
          .addColumn('file_name', 'text', (col) => col.notNull())
          .addPrimaryKeyConstraint('outbox_media_pk', ['session', 'message_id'])
          .execute();
      },
    },
  };
}

export class MigrationFailedError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`database migration ${migration ?? '(setup)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationFailedError';
  }
}

/** Applies every pending migration; returns the names applied now. Throws MigrationFailedError. */
export async function migrateToLatest(db: AnyDb, dialect: SqlDialectName): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...clusterMigrations(dialect), ...sessionDataMigrations(dialect) }) } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw new MigrationFailedError(results.find((r: MigrationResult) => r.status === 'Error')?.migrationName, error);
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
