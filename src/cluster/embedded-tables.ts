/**
 * Which tables of an embedded install (src/store/) have a counterpart in the shared store, and the
 * copying of one table's rows into it. The shared tables mirror the embedded ones column for column
 * plus `session` (and `seq`, which the shared store numbers itself), so a row is copied by name;
 * before copying, both sides' columns are compared, so a shared schema that drifted fails loudly
 * instead of dropping a column's data.
 */
import type { TableMetadata, Transaction } from 'kysely';
import type { StoreSchema } from './sql/schema.js';
import type { SqliteDatabase } from '../store/database.js';

export interface CopiedTable {
  /** The same name in both stores. */
  name: keyof StoreSchema & string;
  /** Per session (a `session` column); false for the one cluster-wide session list. */
  scoped: boolean;
  /** Copy order within the table: insertion order where there is a counter. */
  orderBy: string;
}

/** In dependency order: message_changes reference messages. */
export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: 'idempotency_keys', scoped: true, orderBy: 'created_at, scope, key' },
  { name: 'webhook_deliveries', scoped: true, orderBy: 'seq' },
  { name: 'received_messages', scoped: true, orderBy: 'seq' },
  { name: 'messages', scoped: true, orderBy: 'seq' },
  { name: 'outbox_jobs', scoped: true, orderBy: 'seq' },
  { name: 'message_changes', scoped: true, orderBy: 'created_at, action_id' },
  { name: 'polls', scoped: true, orderBy: 'created_at, record_id' },
  { name: 'poll_votes', scoped: true, orderBy: 'record_id, voter' },
  { name: 'sent_content', scoped: true, orderBy: 'created_at, wa_message_id' },
  { name: 'retry_counters', scoped: true, orderBy: 'key' },
  { name: 'sessions', scoped: false, orderBy: 'name' },
];

/**
 * Embedded tables whose rows stay behind. send_log only paces the sends of the last minutes, and
 * has no key a second run could recognise its rows by.
 */
export const LEFT_BEHIND = ['send_log'] as const;

/** Rows per INSERT: 18 columns × 500 stays under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 500;

/** Columns the shared store adds or numbers itself; never copied (`claimed_by`: a cluster node's, see migration 0023). */
const SHARED_ONLY = new Set(['session', 'seq', 'claimed_by']);

export class SchemaMismatchError extends Error {
  constructor(table: string, embedded: string[], shared: string[]) {
    super(`table ${table}: the embedded store has columns [${embedded.join(', ')}], the shared store [${shared.join(', ')}]; nothing was copied`);
    this.name = 'SchemaMismatchError';
  }
}

/** The columns to copy; throws SchemaMismatchError unless both stores have the same ones (`sharedTables`: Kysely's introspection). */
export function copiedColumns(embedded: SqliteDatabase, sharedTables: readonly TableMetadata[], table: CopiedTable): string[] {
  const embeddedColumns = (embedded.prepare(`SELECT name FROM pragma_table_info(?)`).all(table.name) as { name: string }[])
    .map((c) => c.name)
    .filter((c) => !SHARED_ONLY.has(c))
    .sort();
  const sharedTable = sharedTables.find((t) => t.name === table.name);
  const sharedColumns = (sharedTable?.columns ?? [])
    .map((c) => c.name)
    .filter((c) => !SHARED_ONLY.has(c))
    .sort();
  if (embeddedColumns.join() !== sharedColumns.join()) throw new SchemaMismatchError(table.name, embeddedColumns, sharedColumns);
  return embeddedColumns;
}

/**
 * Inserts the table's rows under `session`, keeping every row the shared store already has (ON
 * CONFLICT DO NOTHING on any unique key), so copying twice changes nothing. Returns the rows added.
 */
export async function copyTable(
  embedded: SqliteDatabase,
  trx: Transaction<StoreSchema>,
  table: CopiedTable,
  columns: readonly string[],
  session: string,
): Promise<number> {
  // The table name is dynamic; the rows are checked against the shared columns above instead.
  const target = trx as unknown as Transaction<Record<string, Record<string, unknown>>>;
  const list = columns.map((c) => `"${c}"`).join(', ');
  const rows = embedded.prepare(`SELECT ${list} FROM "${table.name}" ORDER BY ${table.orderBy}`).iterate() as IterableIterator<Record<string, unknown>>;
  let added = 0;
  let chunk: Record<string, unknown>[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const result = await target
      .insertInto(table.name)
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0n);
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(table.scoped ? { session, ...row } : row);
    if (chunk.length === ROWS_PER_STATEMENT) await flush();
  }
  await flush();
  return added;
}
