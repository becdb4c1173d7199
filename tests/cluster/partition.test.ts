/**
 * A node cut off from PostgreSQL (its connections go through a TCP proxy that stops forwarding)
 * fences itself on the real clock BEFORE another node can acquire its session, and once the link
 * heals its stale token is refused. PostgreSQL only: a SQLite store belongs to one node.
 */
import { FencedKeyStore, FencedOffError } from '../../src/cluster/fenced-key-store.js';
import { LeaseKeeper, type LostLease } from '../../src/cluster/lease-keeper.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { sleep, useTestDatabases } from '../support/cluster-databases.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const TTL = 1_000;
const MARGIN = 250;

describe('partition from PostgreSQL', () => {
  const dbs = useTestDatabases('postgres');
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    proxy?.heal();
    await proxy?.close();
  });

  test('the cut-off node stops driving before the other node acquires; its late writes are refused', async () => {
    const target = await dbs.freshTarget();
    if (!('databaseUrl' in target)) throw new Error('postgres target expected');
    const dbB = await dbs.open(target);
    proxy = await startTcpProxy(dbs.cluster().port);
    const dbA = await dbs.open({ databaseUrl: target.databaseUrl.replace(`:${dbs.cluster().port}/`, `:${proxy.port}/`) });

    const keeperA = new LeaseKeeper({ leases: new LeaseRepository(dbA, 'node-a'), ttlMs: TTL, safetyMarginMs: MARGIN });
    const lost: (LostLease & { at: number })[] = [];
    keeperA.on('lost', (event) => lost.push({ ...event, at: Date.now() }));
    const leasesB = new LeaseRepository(dbB, 'node-b');
    try {
      keeperA.start();
      const held = await keeperA.claim('sales');
      expect(held?.token).toBe(1);
      // Healthy for a while: renewals keep it (well past one TTL).
      await sleep(TTL);
      expect(keeperA.mayDrive('sales')).toBe(true);
      expect(await leasesB.acquire('sales', TTL)).toBeNull();

      proxy.partition();
      let taken = null;
      while (!taken) {
        taken = await leasesB.acquire('sales', 60_000);
        if (!taken) await sleep(20);
      }
      const takenAt = Date.now();
      expect(taken.token).toBe(2);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ session: 'sales', token: 1, reason: 'self-fenced' });
      // Node A had stopped driving before node B could take over.
      expect(lost[0]!.at).toBeLessThan(takenAt);
      expect(keeperA.mayDrive('sales')).toBe(false);

      proxy.heal();
      await keeperA.settled();
      expect(keeperA.heldLeases()).toEqual([]);
      await expect(new FencedKeyStore(dbA, 'node-a').write('sales', 1, [{ type: 'creds', id: '', value: Buffer.from('stale') }])).rejects.toBeInstanceOf(
        FencedOffError,
      );
      expect((await leasesB.holders())[0]).toEqual({ session: 'sales', owner: 'node-b', token: 2 });
    } finally {
      keeperA.stop();
    }
  });
});
