/**
 * Schema migrations for the shared store, written once with Kysely's schema builder for both
 * dialects (only the bytes column type differs). Kysely's Migrator records them in
 * `kysely_migration` and takes `kysely_migration_lock` first, so several nodes starting together
 * against one PostgreSQL apply each migration exactly once. Migrations are append-only: never edit
 * one that has shipped, add the next.
 */
import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { bytesType, type SqlDialectName } from './dialect.js';

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
  const migrator = new Migrator({ db, provider: { getMigrations: async () => clusterMigrations(dialect) } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw new MigrationFailedError(results.find((r: MigrationResult) => r.status === 'Error')?.migrationName, error);
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
