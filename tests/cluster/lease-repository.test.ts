/**
 * Session leases on both stores, two "nodes" = two connections with different node ids: a live
 * lease excludes everyone else, expiry (by the database clock) frees it, every acquisition raises
 * the token, only the holder with the current token renews or releases, release hands over at once.
 */
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { DIALECTS, sleep, useTestDatabases } from '../support/cluster-databases.js';

const LONG_TTL = 60_000;
const SHORT_TTL = 300;

describe.each(DIALECTS)('session leases on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  async function twoNodes() {
    const [a, b] = await dbs.nodes(2);
    return { a: new LeaseRepository(a!, 'node-a'), b: new LeaseRepository(b!, 'node-b') };
  }

  test('the first acquire gets token 1; nobody else (not even the holder) acquires a live lease', async () => {
    const { a, b } = await twoNodes();
    const lease = await a.acquire('sales', LONG_TTL);
    expect(lease).toMatchObject({ session: 'sales', ownerNode: 'node-a', token: 1 });
    expect(lease!.expiresAt).toBeGreaterThan(Date.now() + LONG_TTL - 5_000);
    expect(await b.acquire('sales', LONG_TTL)).toBeNull();
    expect(await a.acquire('sales', LONG_TTL)).toBeNull();
    expect((await a.owned()).map((l) => l.session)).toEqual(['sales']);
    expect(await b.owned()).toEqual([]);
    expect(await b.holders()).toEqual([{ session: 'sales', owner: 'node-a', token: 1 }]);
  });

  test('an expired lease is taken by another node with the next token; the old holder can no longer renew', async () => {
    const { a, b } = await twoNodes();
    const first = await a.acquire('sales', SHORT_TTL);
    expect(first?.token).toBe(1);
    expect(await b.acquire('sales', SHORT_TTL)).toBeNull();
    await sleep(SHORT_TTL + 150);
    expect(await a.owned()).toEqual([]);
    expect(await b.holders()).toEqual([{ session: 'sales', owner: null, token: 1 }]);
    const stolen = await b.acquire('sales', LONG_TTL);
    expect(stolen).toMatchObject({ ownerNode: 'node-b', token: 2 });
    expect(await a.renew('sales', 1, LONG_TTL)).toBeNull();
    expect(await a.release('sales', 1)).toBe(false);
    expect(await b.holders()).toEqual([{ session: 'sales', owner: 'node-b', token: 2 }]);
  });

  test('an expired lease is not revived by its holder even when nobody took it: it must acquire anew', async () => {
    const { a } = await twoNodes();
    await a.acquire('sales', SHORT_TTL);
    await sleep(SHORT_TTL + 150);
    expect(await a.renew('sales', 1, LONG_TTL)).toBeNull();
    expect((await a.acquire('sales', LONG_TTL))?.token).toBe(2);
  });

  test('renew extends only the holder with the current token', async () => {
    const { a, b } = await twoNodes();
    const lease = await a.acquire('sales', SHORT_TTL);
    expect(await b.renew('sales', lease!.token, LONG_TTL)).toBeNull();
    expect(await a.renew('sales', lease!.token + 1, LONG_TTL)).toBeNull();
    const renewedUntil = await a.renew('sales', lease!.token, LONG_TTL);
    expect(renewedUntil).toBeGreaterThan(lease!.expiresAt);
    await sleep(SHORT_TTL + 150);
    // Still held thanks to the renewal.
    expect(await b.acquire('sales', LONG_TTL)).toBeNull();
    expect((await a.owned()).map((l) => l.token)).toEqual([1]);
  });

  test('release hands over at once; the next holder gets a larger token', async () => {
    const { a, b } = await twoNodes();
    const lease = await a.acquire('sales', LONG_TTL);
    expect(await b.release('sales', lease!.token)).toBe(false);
    expect(await a.release('sales', lease!.token)).toBe(true);
    expect(await a.owned()).toEqual([]);
    const next = await b.acquire('sales', LONG_TTL);
    expect(next).toMatchObject({ ownerNode: 'node-b', token: 2 });
    // The released holder cannot renew its way back.
    expect(await a.renew('sales', lease!.token, LONG_TTL)).toBeNull();
  });

  test('two nodes racing for the same free sessions: each session goes to exactly one', async () => {
    const { a, b } = await twoNodes();
    const sessions = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const results = await Promise.all(sessions.flatMap((s) => [a.acquire(s, LONG_TTL), b.acquire(s, LONG_TTL)]));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(sessions.length);
    expect(new Set(winners.map((w) => w!.session)).size).toBe(sessions.length);
    expect(winners.every((w) => w!.token === 1)).toBe(true);
  });

  test('tokens only grow across many handovers', async () => {
    const { a, b } = await twoNodes();
    const tokens: number[] = [];
    for (let i = 0; i < 6; i++) {
      const node = i % 2 === 0 ? a : b;
      const lease = await node.acquire('sales', LONG_TTL);
      tokens.push(lease!.token);
      expect(await node.release('sales', lease!.token)).toBe(true);
    }
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
