/**
 * Purging a deleted session from the shared store, on both stores: every table with a `session`
 * column is in the purge's list (the database's own catalogue is the reference, so a table added
 * later and forgotten fails here); the purge runs only under the session's live lease and takes
 * that session's rows and list entry only.
 */
import { sql } from 'kysely';
import { FencedKeyStore, FencedOffError, CREDS_TYPE } from '../../src/cluster/fenced-key-store.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { CLUSTER_TABLES_WITH_SESSION, SESSION_DATA_TABLES, purgeSession } from '../../src/cluster/session-purge.js';
import type { SqlDatabase } from '../../src/cluster/sql/database.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

const TTL = 60_000;

async function tablesWithSessionColumn(store: SqlDatabase): Promise<string[]> {
  const rows =
    store.dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.columns
          where column_name = 'session' and table_schema = current_schema()`.execute(store.db)
      : await sql<{ name: string }>`select m.name as name from sqlite_master m, pragma_table_info(m.name) p
          where m.type = 'table' and p.name = 'session'`.execute(store.db);
  return rows.rows.map((r) => r.name).sort();
}

/** A row in a few of the session's tables (the end-to-end test fills them all through the gateway). */
async function seed(store: SqlDatabase, session: string, token: number, nodeId: string): Promise<void> {
  await new FencedKeyStore(store, nodeId).write(session, token, [{ type: CREDS_TYPE, id: '', value: Buffer.from(`creds of ${session}`) }]);
  await store.db.insertInto('send_log').values({ session, jid: '628@s.whatsapp.net', at: 1 }).execute();
  await store.db
    .insertInto('retry_counters')
    .values({ session, key: 'k', value: '1', expires_at: Date.now() + TTL })
    .execute();
  await store.db
    .insertInto('sessions')
    .values({ name: session, key_hash: Buffer.from(session.padEnd(32, '-')), webhook_url: null, webhook_secret: null, proxy_url: null, created_at: 1 })
    .execute();
}

async function rowsOf(store: SqlDatabase, session: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of SESSION_DATA_TABLES) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('session', '=', session)
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  const listed = await store.db.selectFrom('sessions').select('name').where('name', '=', session).execute();
  counts.sessions = listed.length;
  return counts;
}

describe.each(DIALECTS)('session purge on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  test('the purge list names every table with a session column but the leases', async () => {
    const store = await dbs.open(await dbs.freshTarget());
    expect(await tablesWithSessionColumn(store)).toEqual([...SESSION_DATA_TABLES, ...CLUSTER_TABLES_WITH_SESSION].sort());
  });

  test("under its lease, the session's rows and list entry go; another session's stay", async () => {
    const store = await dbs.open(await dbs.freshTarget());
    const leases = new LeaseRepository(store, 'node-a');
    const shop = (await leases.acquire('shop', TTL))!;
    const other = (await leases.acquire('other', TTL))!;
    await seed(store, 'shop', shop.token, 'node-a');
    await seed(store, 'other', other.token, 'node-a');
    const before = await rowsOf(store, 'other');
    expect(await rowsOf(store, 'shop')).toMatchObject({ session_keys: 1, send_log: 1, retry_counters: 1, sessions: 1 });

    const report = await purgeSession(store, { session: 'shop', nodeId: 'node-a', token: shop.token });

    expect(report.listed).toBe(true);
    expect(report.deleted).toMatchObject({ session_keys: 1, send_log: 1, retry_counters: 1 });
    expect(Object.values(await rowsOf(store, 'shop')).every((n) => n === 0)).toBe(true);
    expect(await rowsOf(store, 'other')).toEqual(before);
    // The lease row stays, so the name's next token is still larger than any before.
    await leases.release('shop', shop.token);
    expect((await leases.acquire('shop', TTL))!.token).toBe(shop.token + 1);
  });

  test('without the live lease (none, another token, released) nothing is deleted', async () => {
    const store = await dbs.open(await dbs.freshTarget());
    const a = new LeaseRepository(store, 'node-a');
    const lease = (await a.acquire('shop', TTL))!;
    await seed(store, 'shop', lease.token, 'node-a');
    const before = await rowsOf(store, 'shop');
    await expect(purgeSession(store, { session: 'shop', nodeId: 'node-b', token: lease.token })).rejects.toBeInstanceOf(FencedOffError);
    await expect(purgeSession(store, { session: 'shop', nodeId: 'node-a', token: lease.token + 1 })).rejects.toBeInstanceOf(FencedOffError);
    await a.release('shop', lease.token);
    await expect(purgeSession(store, { session: 'shop', nodeId: 'node-a', token: lease.token })).rejects.toBeInstanceOf(FencedOffError);
    expect(await rowsOf(store, 'shop')).toEqual(before);
  });

  test('a failure inside the transaction leaves every row in place', async () => {
    const store = await dbs.open(await dbs.freshTarget());
    const lease = (await new LeaseRepository(store, 'node-a').acquire('shop', TTL))!;
    await seed(store, 'shop', lease.token, 'node-a');
    const before = await rowsOf(store, 'shop');
    const failing = async () => {
      throw new Error('notify failed');
    };
    await expect(purgeSession(store, { session: 'shop', nodeId: 'node-a', token: lease.token, alsoInTransaction: failing })).rejects.toThrow('notify failed');
    expect(await rowsOf(store, 'shop')).toEqual(before);
  });
});
