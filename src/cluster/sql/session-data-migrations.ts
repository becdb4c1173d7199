/**
 * Shared-store migrations for the rest of the sessions' data: sent content and retry counters
 * (src/records/kysely-sent-content-repository.ts), the session list
 * (src/sessions/kysely-session-registry.ts), account restrictions
 * (src/messaging/kysely-restriction-store.ts) and the node that claimed an idempotency key. Kept
 * apart from migrations.ts, and numbered from 0020,
 * so the outbox's migrations can be appended there without the two lists touching; Kysely's
 * Migrator applies all of them in name order. Append only, like migrations.ts.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import { bytesType, type SqlDialectName } from './dialect.js';

// Migrations see the schema as it was when they were written, not today's, hence `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function sessionDataMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    // As the embedded store's migration 3, plus `session`.
    '0020_sent_content': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('sent_content')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('wa_message_id', 'text', (col) => col.notNull())
          .addColumn('jid', 'text', (col) => col.notNull())
          .addColumn('content', bytesType(dialect), (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('sent_content_pk', ['session', 'wa_message_id'])
          .execute();
        await db.schema.createIndex('sent_content_created').on('sent_content').columns(['session', 'created_at']).execute();
        await db.schema
          .createTable('retry_counters')
          .addColumn('session', 'text', (col) => col.notNull())
          .addColumn('key', 'text', (col) => col.notNull())
          .addColumn('value', 'text', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('retry_counters_pk', ['session', 'key'])
          .execute();
      },
    },
    // As the embedded store's migration 7, but one list for the whole cluster: every node reads it.
    '0021_sessions': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('sessions')
          .addColumn('name', 'text', (col) => col.primaryKey())
          .addColumn('key_hash', bytesType(dialect), (col) => col.notNull().unique())
          .addColumn('webhook_url', 'text')
          .addColumn('webhook_secret', bytesType(dialect))
          .addColumn('proxy_url', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .execute();
      },
    },
    // As the embedded store's `meta` row 'account_restriction', one row per session.
    '0022_account_restrictions': {
      up: async (db: AnyDb) => {
        await db.schema
          .createTable('account_restrictions')
          .addColumn('session', 'text', (col) => col.primaryKey())
          .addColumn('code', 'integer', (col) => col.notNull())
          .addColumn('reason', 'text', (col) => col.notNull())
          .addColumn('since', 'bigint', (col) => col.notNull())
          .addColumn('until', 'bigint', (col) => col.notNull())
          .addColumn('until_from_whatsapp', 'integer', (col) => col.notNull())
          .execute();
      },
    },
    // Which node claimed an idempotency key: a request in progress on a node that died is resolved
    // by the survivors (src/cluster/abandoned-requests.ts), not left answering 409 for 24 h.
    // NULL: claimed before this migration, or imported; those are resolved as before, by drive().
    '0023_idempotency_claimed_by': {
      up: async (db: AnyDb) => {
        await db.schema.alterTable('idempotency_keys').addColumn('claimed_by', 'text').execute();
        await db.schema
          .createIndex('idempotency_keys_in_progress')
          .on('idempotency_keys')
          .columns(['claimed_by'])
          .where(sql.ref('state'), '=', 'in_progress')
          .execute();
      },
    },
  };
}
