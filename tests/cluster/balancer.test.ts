/**
 * Even spread of sessions: the pure plan (6 sessions over 3 nodes, a node dying, a node joining,
 * uneven counts, stability), then real nodes (three connections, keepers renewing on the real clock)
 * on both stores: 2/2/2, one node dies silently and its sessions end up 3/3 once its leases expire,
 * a SIGTERM'd node's sessions move at once.
 */
import { planBalance, rebalance } from '../../src/cluster/balancer.js';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { NodeRegistry } from '../../src/cluster/node-registry.js';
import { DIALECTS, sleep, useTestDatabases } from '../support/cluster-databases.js';

const SESSIONS = ['s1', 's2', 's3', 's4', 's5', 's6'];

/** Applies each node's plan in turn until nobody changes anything; returns the holders. */
function settle(nodes: string[], sessions: string[], start: Map<string, string | null> = new Map()) {
  const holders = new Map(start);
  for (let pass = 0; pass < 10; pass++) {
    let changed = false;
    for (const node of nodes) {
      const plan = planBalance({ nodeId: node, liveNodes: nodes, sessions, holders });
      for (const s of plan.release) holders.set(s, null);
      for (const s of plan.take) holders.set(s, node);
      changed ||= plan.release.length + plan.take.length > 0;
    }
    if (!changed) return holders;
  }
  throw new Error('did not settle');
}

const counts = (holders: Map<string, string | null>, nodes: string[]) => nodes.map((n) => [...holders.values()].filter((owner) => owner === n).length);

describe('balance plan', () => {
  test('6 sessions over 3 nodes: 2 each; after one dies: 3 each, and the survivors keep theirs', () => {
    const holders = settle(['a', 'b', 'c'], SESSIONS);
    expect(counts(holders, ['a', 'b', 'c'])).toEqual([2, 2, 2]);
    const survivorsHad = SESSIONS.filter((s) => holders.get(s) !== 'c');
    // c's leases ran out: free.
    for (const s of SESSIONS) if (holders.get(s) === 'c') holders.set(s, null);
    const after = settle(['a', 'b'], SESSIONS, holders);
    expect(counts(after, ['a', 'b'])).toEqual([3, 3]);
    for (const s of survivorsHad) expect(after.get(s)).toBe(holders.get(s));
  });

  test('uneven counts differ by at most one; a joining node gets its share from the others', () => {
    const seven = settle(['a', 'b', 'c'], [...SESSIONS, 's7']);
    expect(counts(seven, ['a', 'b', 'c']).sort()).toEqual([2, 2, 3]);
    const joined = settle(['a', 'b', 'c', 'd'], [...SESSIONS, 's7'], seven);
    expect(counts(joined, ['a', 'b', 'c', 'd']).sort()).toEqual([1, 2, 2, 2]);
    expect([...joined.values()].every((owner) => owner !== null)).toBe(true);
  });

  test('a balanced cluster plans nothing; a deleted session is released; live leases elsewhere are never taken', () => {
    const holders = settle(['a', 'b', 'c'], SESSIONS);
    for (const node of ['a', 'b', 'c']) {
      expect(planBalance({ nodeId: node, liveNodes: ['a', 'b', 'c'], sessions: SESSIONS, holders })).toMatchObject({ target: 2, release: [], take: [] });
    }
    const gone = SESSIONS.find((s) => holders.get(s) === 'a')!;
    const plan = planBalance({ nodeId: 'a', liveNodes: ['a', 'b', 'c'], sessions: SESSIONS.filter((s) => s !== gone), holders });
    expect(plan.release).toEqual([gone]);
    // A lone new node wants 2 but nothing is free: it waits for the others to release.
    const newcomer = planBalance({ nodeId: 'd', liveNodes: ['a', 'b', 'c', 'd'], sessions: SESSIONS, holders });
    expect(newcomer.take).toEqual([]);
  });
});

describe.each(DIALECTS)('balancing real nodes on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);
  const TTL = 900;

  test("2/2/2 over three nodes; a dead node's sessions spread 3/3 after its TTL; a SIGTERM'd node's move at once", async () => {
    const stores = await dbs.nodes(3);
    const cluster = ['node-a', 'node-b', 'node-c'].map((id, i) => {
      const leases = new LeaseRepository(stores[i]!, id);
      const nodes = new NodeRegistry(stores[i]!, id);
      return { id, leases, nodes, keeper: new LeaseKeeper({ leases, nodes, ttlMs: TTL, safetyMarginMs: 150 }) };
    });
    const [a, b, c] = cluster as [(typeof cluster)[0], (typeof cluster)[0], (typeof cluster)[0]];
    try {
      for (const node of cluster) node.keeper.start();
      await Promise.all(cluster.map((node) => node.keeper.settled()));
      for (const node of cluster) await rebalance(node, SESSIONS);
      expect(cluster.map((node) => node.keeper.heldLeases().length)).toEqual([2, 2, 2]);
      const holders = await a.leases.holders();
      expect(holders.map((h) => h.owner).sort()).toEqual(['node-a', 'node-a', 'node-b', 'node-b', 'node-c', 'node-c']);

      // node-c dies: no release, no goodbye. Its leases and membership run out after the TTL.
      c.keeper.stop();
      const deadline = Date.now() + 5_000;
      while ((await a.leases.holders()).some((h) => h.owner === 'node-c') && Date.now() < deadline) await sleep(50);
      expect(await a.nodes.liveNodes()).toEqual(['node-a', 'node-b']);
      for (const node of [a, b]) await rebalance(node, SESSIONS);
      expect([a, b].map((node) => node.keeper.heldLeases().length)).toEqual([3, 3]);
      const tookOver = [...a.keeper.heldLeases(), ...b.keeper.heldLeases()].filter((l) => l.token === 2);
      expect(tookOver).toHaveLength(2);

      // node-b is stopped with SIGTERM: hands over at once, no waiting for a TTL.
      await b.keeper.releaseAll();
      await rebalance(a, SESSIONS);
      expect(
        a.keeper
          .heldLeases()
          .map((l) => l.session)
          .sort(),
      ).toEqual(SESSIONS);
    } finally {
      for (const node of cluster) node.keeper.stop();
    }
  });
});
