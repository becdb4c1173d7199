/**
 * openDatabase and the migrations, on both stores: the schema is created once, reopening applies
 * nothing, bigints come back as numbers and bytes as Buffers on both dialects.
 */
import { sql } from 'kysely';
import { dbNowMs } from '../../src/cluster/sql/dialect.js';
import { clusterMigrations } from '../../src/cluster/sql/migrations.js';
import { sessionDataMigrations } from '../../src/cluster/sql/session-data-migrations.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

describe.each(DIALECTS)('shared store on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  test('migrates a fresh database once; a second open applies nothing', async () => {
    const target = await dbs.freshTarget();
    const first = await dbs.open(target);
    expect(first.dialect).toBe(dialect);
    expect(first.applied).toEqual([...Object.keys(clusterMigrations(dialect)), ...Object.keys(sessionDataMigrations(dialect))]);
    expect(first.applied.slice(0, 2)).toEqual(['0001_session_leases', '0002_session_keys']);
    const second = await dbs.open(target);
    expect(second.applied).toEqual([]);
  });

  test('bigint columns read back as numbers and bytes as Buffers, NULL bytes as null', async () => {
    const [store] = await dbs.nodes(1);
    const db = store!.db;
    await db
      .insertInto('session_leases')
      .values({ session: 's', owner_node: 'n', token: 2 ** 40, expires_at: 1_800_000_000_000 })
      .execute();
    const lease = await db.selectFrom('session_leases').selectAll().executeTakeFirstOrThrow();
    expect(lease).toEqual({ session: 's', owner_node: 'n', token: 2 ** 40, expires_at: 1_800_000_000_000 });

    const bytes = Buffer.from([0, 1, 2, 255, 0]);
    await db
      .insertInto('session_keys')
      .values([
        { session: 's', type: 't', id: 'a', value: bytes },
        { session: 's', type: 't', id: 'b', value: null },
      ])
      .execute();
    const keys = await db.selectFrom('session_keys').select(['id', 'value']).orderBy('id').execute();
    expect(Buffer.isBuffer(keys[0]!.value)).toBe(true);
    expect(keys[0]!.value!.equals(bytes)).toBe(true);
    expect(keys[1]!.value).toBeNull();
  });

  test("the database clock is in epoch ms, within a second of this machine's", async () => {
    const [store] = await dbs.nodes(1);
    const { rows } = await sql<{ now: number }>`select ${dbNowMs(store!.dialect)} as now`.execute(store!.db);
    expect(typeof rows[0]!.now).toBe('number');
    expect(Math.abs(rows[0]!.now - Date.now())).toBeLessThan(1000);
  });
});
