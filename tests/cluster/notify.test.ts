/**
 * LISTEN/NOTIFY between two "nodes" (two connections) on a throwaway PostgreSQL: delivery in order,
 * per channel, unlisten, NOTIFY inside a transaction delivered only on commit, and a listening
 * connection killed by the server comes back (with a 'resync' so the outbox gets re-read).
 */
import pg from 'pg';
import { Notifier, notifyIn } from '../../src/cluster/notify.js';
import { sleep, useTestDatabases } from '../support/cluster-databases.js';

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('LISTEN/NOTIFY on postgres', () => {
  const dbs = useTestDatabases('postgres');
  const notifiers: Notifier[] = [];
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.close()));
  });

  async function twoNodes() {
    const target = await dbs.freshTarget();
    const url = 'databaseUrl' in target ? target.databaseUrl : '';
    const a = new Notifier(url, { reconnectDelayMs: 50 });
    const b = new Notifier(url, { reconnectDelayMs: 50 });
    notifiers.push(a, b);
    return { a, b, url, target };
  }

  test('another node receives payloads in order, only on its channel, until it unlistens', async () => {
    const { a, b } = await twoNodes();
    const received: string[] = [];
    const other: string[] = [];
    const unlisten = await a.listen('outbox_node_a', (p) => received.push(p));
    await a.listen('outbox_node_c', (p) => other.push(p));
    for (let i = 0; i < 20; i++) await b.notify('outbox_node_a', `msg-${i}`);
    await b.notify('outbox_Node_A', 'case matters');
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `msg-${i}`));
    await unlisten();
    await b.notify('outbox_node_a', 'after unlisten');
    await b.notify('outbox_node_c', 'still listening here');
    await until(() => other.length === 1);
    expect(received).toHaveLength(20);
    expect(other).toEqual(['still listening here']);
  });

  test('a NOTIFY in a transaction arrives only when it commits, and never when it rolls back', async () => {
    const { a, target } = await twoNodes();
    const received: string[] = [];
    await a.listen('outbox', (p) => received.push(p));
    // Notifications stay within one database: the writer is a third connection to the same one.
    const store = await dbs.open(target);
    await store.db
      .transaction()
      .execute(async (trx) => {
        await notifyIn(trx, 'outbox', 'rolled back');
        throw new Error('abort');
      })
      .catch(() => undefined);
    await store.db.transaction().execute(async (trx) => {
      await notifyIn(trx, 'outbox', 'committed');
      await sleep(150);
      expect(received).toEqual([]);
    });
    await until(() => received.length === 1);
    await sleep(100);
    expect(received).toEqual(['committed']);
  });

  test('a killed listening connection reconnects, re-listens and asks for a resync', async () => {
    const { a, b, url } = await twoNodes();
    const received: string[] = [];
    let resyncs = 0;
    a.on('resync', () => (resyncs += 1));
    await a.listen('outbox', (p) => received.push(p));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query ilike 'LISTEN%'",
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await until(() => resyncs === 1);
    await b.notify('outbox', 'after reconnect');
    await until(() => received.length === 1);
    expect(received).toEqual(['after reconnect']);
  });
});
