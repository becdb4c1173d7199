/**
 * The upgrade path of an existing install: copies one session's embedded SQLite file (src/store/,
 * DATA_DIR/gateway.db for `default`, DATA_DIR/sessions/<name>/gateway.db for the others) into the
 * shared store under that session's name, so a gateway switched to the shared store keeps its
 * records, deliveries, idempotency keys and linked device.
 *
 * - While it runs it holds the session's lease (acquired here), so no node drives the session and
 *   writes beside it; a session some node drives is refused before anything is copied.
 * - One transaction: every row and the credentials, or nothing.
 * - Idempotent: rows the shared store has are kept (ON CONFLICT DO NOTHING), and credentials are
 *   copied only into a session no node has driven (see CredentialsImport). Running it twice
 *   changes nothing the second time.
 * - Sent content and session secrets are copied sealed: the nodes need the same content key
 *   (MESSAGE_CONTENT_KEY, or the install's content.key) to open them. Queued outbox jobs are copied
 *   with their media_path: a media job's file is in this install's spool folder, so it is sent only
 *   by a node that sees that folder at that path.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ActiveRestriction } from '../messaging/restriction.js';
import { restrictionRow } from '../messaging/kysely-restriction-store.js';
import { RESTRICTION_META_KEY } from '../messaging/restriction-store.js';
import { currentSchemaVersion, type SqliteDatabase } from '../store/database.js';
import { MIGRATIONS } from '../store/migrations.js';
import { COPIED_TABLES, LEFT_BEHIND, copiedColumns, copyTable } from './embedded-tables.js';
import { CREDS_TYPE, FencedKeyStore, type KeyWrite } from './fenced-key-store.js';
import { LeaseRepository } from './lease-repository.js';
import type { SqlDatabase } from './sql/database.js';
import type { StoreSchema } from './sql/schema.js';

export interface ImportOptions {
  /** The session's embedded database, opened with src/store/database.ts (so its schema is current). */
  embedded: SqliteDatabase;
  store: SqlDatabase;
  /** `default` for a single-account install. */
  session: string;
  /** Long enough for the whole copy: a lease that runs out mid-way rolls the import back. */
  leaseTtlMs?: number;
}

/**
 * `store-session-used`: the store has no credentials for the session but a node drove it (held its
 * lease) before: after a logout there, the file's credentials are revoked, and restoring them
 * would loop on 401. Import before any node starts the session. Earlier imports, even failed
 * ones, do not count.
 */
export type CredentialsImport = { imported: true; keys: number } | { imported: false; reason: 'none-in-file' | 'already-in-store' | 'store-session-used' };

export interface ImportReport {
  session: string;
  /** Rows added per table; 0 everywhere on a second run. */
  copied: Record<string, number>;
  /** Rows of embedded tables not copied (LEFT_BEHIND). */
  leftBehind: Record<(typeof LEFT_BEHIND)[number], number>;
  credentials: CredentialsImport;
}

export class SessionDrivenError extends Error {
  constructor(readonly session: string) {
    super(`session ${session} is driven by a gateway node (its lease is live): stop it before importing; nothing was copied`);
    this.name = 'SessionDrivenError';
  }
}

const DEFAULT_LEASE_TTL_MS = 10 * 60_000;
/** Lease owners of imports: into a session only imports ever held, or into one a node drove. */
const FRESH_IMPORT = 'import:fresh:';
const USED_IMPORT = 'import:used:';

export async function importEmbeddedSession({ embedded, store, session, leaseTtlMs = DEFAULT_LEASE_TTL_MS }: ImportOptions): Promise<ImportReport> {
  const version = currentSchemaVersion(embedded);
  if (version !== MIGRATIONS.length) {
    throw new Error(`the embedded database is at schema version ${version}, not ${MIGRATIONS.length}: open it with this gateway's openDatabase first`);
  }
  // Checked before the lease is taken: a schema that does not match costs nothing.
  const sharedTables = await store.db.introspection.getTables();
  const tables = COPIED_TABLES.map((table) => ({ table, columns: copiedColumns(embedded, sharedTables, table) }));

  // The import holds the lease under a node id of its own, fenced by its token like any node. The
  // id also records, in the lease row, whether only imports of a never-driven session held it.
  const before = await store.db.selectFrom('session_leases').select(['owner_node', 'token']).where('session', '=', session).executeTakeFirst();
  const fresh = !before || before.owner_node.startsWith(FRESH_IMPORT);
  const nodeId = `${fresh ? FRESH_IMPORT : USED_IMPORT}${randomUUID()}`;
  const leases = new LeaseRepository(store, nodeId);
  const lease = await leases.acquire(session, leaseTtlMs);
  if (!lease) throw new SessionDrivenError(session);
  // No node took the session between the look and the acquisition.
  const neverDriven = fresh && lease.token === (before?.token ?? 0) + 1;
  try {
    return await store.db.transaction().execute(async (trx) => {
      const copied: Record<string, number> = {};
      for (const { table, columns } of tables) copied[table.name] = await copyTable(embedded, trx, table, columns, session);
      copied.account_restrictions = await importRestriction(embedded, trx, session);
      // The fenced store inside the same transaction: its writes commit (or not) with the rows.
      const keys = new FencedKeyStore({ ...store, db: trx }, nodeId);
      const credentials = await importCredentials(embedded, keys, session, lease.token, neverDriven);
      return { session, copied, leftBehind: leftBehind(embedded), credentials };
    });
  } finally {
    await leases.release(session, lease.token);
  }
}

/** The account restriction (the embedded `meta` row) into `account_restrictions`; one kept if the store has one. */
async function importRestriction(embedded: SqliteDatabase, trx: Transaction<StoreSchema>, session: string): Promise<number> {
  const row = embedded.prepare('SELECT value FROM meta WHERE key = ?').get(RESTRICTION_META_KEY) as { value: string } | undefined;
  if (!row) return 0;
  const active = JSON.parse(row.value) as ActiveRestriction;
  const result = await trx
    .insertInto('account_restrictions')
    .values(restrictionRow(session, active))
    .onConflict((oc) => oc.column('session').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** Baileys' creds and keys, as the bytes both stores hold (BufferJSON text), written fenced. */
async function importCredentials(
  embedded: SqliteDatabase,
  keys: FencedKeyStore,
  session: string,
  token: number,
  neverDriven: boolean,
): Promise<CredentialsImport> {
  const creds = embedded.prepare('SELECT data FROM auth_creds WHERE id = 1').get() as { data: string } | undefined;
  if (!creds) return { imported: false, reason: 'none-in-file' };
  if (Object.keys(await keys.get(session, CREDS_TYPE, [''])).length > 0) return { imported: false, reason: 'already-in-store' };
  if (!neverDriven) return { imported: false, reason: 'store-session-used' };
  const writes: KeyWrite[] = (
    embedded.prepare('SELECT type, id, data FROM auth_keys ORDER BY type, id').all() as { type: string; id: string; data: string }[]
  ).map((row) => ({ type: row.type, id: row.id, value: Buffer.from(row.data, 'utf8') }));
  // Keys first, creds last: a reader that sees creds sees their keys (all one commit anyway).
  await keys.write(session, token, writes);
  await keys.write(session, token, [{ type: CREDS_TYPE, id: '', value: Buffer.from(creds.data, 'utf8') }]);
  return { imported: true, keys: writes.length };
}

function leftBehind(embedded: SqliteDatabase): ImportReport['leftBehind'] {
  const count = (table: string) => (embedded.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  return { send_log: count('send_log') };
}
