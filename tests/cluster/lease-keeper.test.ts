/**
 * The lease keeper on both stores, its local clock driven by hand: renewals move the deadline; a
 * node cut off from the database (the lease table locked by another connection) fences itself at
 * its deadline, while the database still shows its lease as live, i.e. before any other node could
 * take the session; a taken lease is reported; release and releaseAll hand over at once, after the
 * node's beforeHandover (closing the socket) finished.
 */
import Database from 'better-sqlite3';
import { sql, type Transaction } from 'kysely';
import { LeaseKeeper, type LostLease } from '../../src/cluster/lease-keeper.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { NodeRegistry } from '../../src/cluster/node-registry.js';
import type { DatabaseTarget, SqlDatabase } from '../../src/cluster/sql/database.js';
import { dbNowMs } from '../../src/cluster/sql/dialect.js';
import type { ClusterSchema } from '../../src/cluster/sql/schema.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';
import { FakeClock } from '../support/fake-clock.js';

const TTL = 15_000;
const MARGIN = 3_000;

interface CutOff {
  /** The lease row as the database sees it right now (read through the blocking connection). */
  lease(session: string): Promise<{ owner: string; token: number; live: boolean }>;
  restore(): Promise<void>;
}

/** Makes lease writes impossible for everyone else: PostgreSQL blocks them, SQLite answers BUSY. */
async function cutOff(dialect: string, target: DatabaseTarget, observer: SqlDatabase): Promise<CutOff> {
  if ('sqlitePath' in target) {
    const raw = new Database(target.sqlitePath);
    raw.exec('BEGIN IMMEDIATE');
    return {
      lease: async (session) => {
        const row = raw
          .prepare(`select owner_node, token, expires_at > ${dbNowMs('sqlite').compile(observer.db).sql} as live from session_leases where session = ?`)
          .get(session) as {
          owner_node: string;
          token: number;
          live: number;
        };
        return { owner: row.owner_node, token: row.token, live: row.live === 1 };
      },
      restore: async () => {
        raw.exec('COMMIT');
        raw.close();
      },
    };
  }
  let unblock!: () => void;
  const unblocked = new Promise<void>((resolve) => (unblock = resolve));
  let holder!: Transaction<ClusterSchema>;
  const locked = new Promise<void>((resolve) => {
    void observer.db.transaction().execute(async (trx) => {
      await sql`lock table session_leases in access exclusive mode`.execute(trx);
      holder = trx;
      resolve();
      await unblocked;
    });
  });
  await locked;
  expect(dialect).toBe('postgres');
  return {
    lease: async (session) => {
      const row = await holder
        .selectFrom('session_leases')
        .select(['owner_node', 'token', 'expires_at', dbNowMs('postgres').as('now')])
        .where('session', '=', session)
        .executeTakeFirstOrThrow();
      return { owner: row.owner_node, token: row.token, live: row.expires_at > row.now };
    },
    restore: async () => unblock(),
  };
}

describe.each(DIALECTS)('lease keeper on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  async function setup(clock = new FakeClock()) {
    const target = await dbs.freshTarget();
    // A cut-off SQLite writer gives up after 50 ms instead of stalling the test's event loop.
    const dbA = await dbs.open('sqlitePath' in target ? { ...target, busyTimeoutMs: 50 } : target);
    const dbB = await dbs.open(target);
    const keeper = new LeaseKeeper({ leases: new LeaseRepository(dbA, 'node-a'), ttlMs: TTL, safetyMarginMs: MARGIN, clock });
    const lost: LostLease[] = [];
    keeper.on('lost', (event) => lost.push(event));
    return { target, dbA, dbB, clock, keeper, lost, other: new LeaseRepository(dbB, 'node-b') };
  }

  test('renewals push the deadline; cut off from the database it self-fences at the deadline, before its lease expires', async () => {
    const { target, dbB, clock, keeper, lost, other } = await setup();
    keeper.start();
    const held = await keeper.claim('sales');
    expect(held).toEqual({ session: 'sales', token: 1, deadline: TTL - MARGIN });

    clock.advance(TTL / 3);
    await keeper.settled();
    expect(keeper.heldLeases()[0]!.deadline).toBe(TTL / 3 + TTL - MARGIN);

    const partition = await cutOff(dialect, target, dbB);
    clock.advance(TTL / 3); // renewal sent, cannot complete
    clock.advance(TTL / 3); // and again
    clock.advance(TTL - MARGIN - 2 * (TTL / 3) - 1); // 1 ms before the deadline
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lost).toEqual([]);
    expect(keeper.tokenOf('sales')).toBe(1);
    expect(keeper.mayDrive('sales')).toBe(true);

    clock.advance(1);
    expect(lost).toEqual([{ session: 'sales', token: 1, reason: 'self-fenced' }]);
    expect(keeper.heldLeases()).toEqual([]);
    expect(keeper.mayDrive('sales')).toBe(false);
    // The node stopped driving while the database still counts the lease as its own: no other node
    // could have acquired the session yet.
    expect(await partition.lease('sales')).toEqual({ owner: 'node-a', token: 1, live: true });

    await partition.restore();
    await keeper.settled();
    expect(keeper.heldLeases()).toEqual([]);
    expect(lost).toHaveLength(1);
    if (dialect === 'postgres') {
      // Its renewal was only delayed and went through late: the keeper hands that lease back at once.
      expect((await other.acquire('sales', TTL))?.token).toBe(2);
    }
    keeper.stop();
  });

  test('a renewal that finds the lease run out, nobody holding it, reports it expired', async () => {
    const { dbB, clock, keeper, lost } = await setup();
    keeper.start();
    const held = await keeper.claim('sales');
    // The lease ends without this keeper knowing (as if its renewals came too late): expires_at = 0.
    await new LeaseRepository(dbB, 'node-a').release('sales', held!.token);
    clock.advance(TTL / 3);
    await keeper.settled();
    expect(lost).toEqual([{ session: 'sales', token: 1, reason: 'expired' }]);
    keeper.stop();
  });

  test('a renewal that finds the lease held by another node reports it stolen', async () => {
    const { dbB, clock, keeper, lost, other } = await setup();
    keeper.start();
    const held = await keeper.claim('sales');
    // Another process with the same node id cannot exist; simulate the lease moving on directly.
    await new LeaseRepository(dbB, 'node-a').release('sales', held!.token);
    expect((await other.acquire('sales', TTL))?.token).toBe(2);
    clock.advance(TTL / 3);
    await keeper.settled();
    expect(lost).toEqual([{ session: 'sales', token: 1, reason: 'stolen' }]);
    keeper.stop();
  });

  test('mayDrive answers no once the deadline has passed, even before the fence timer ran (stalled event loop)', async () => {
    let time = 0;
    // Time moves but timers never fire: what a node sees when its event loop stalls past the deadline.
    const stalled = { now: () => time, setTimeout: () => undefined, clearTimeout: () => undefined };
    const { keeper, lost } = await setup(stalled as unknown as FakeClock);
    await keeper.claim('sales');
    time = TTL - MARGIN - 1;
    expect(keeper.mayDrive('sales')).toBe(true);
    time = TTL - MARGIN;
    expect(keeper.mayDrive('sales')).toBe(false);
    expect(lost).toEqual([]);
  });

  test('release reports the session lost first, then hands it over at once', async () => {
    const { keeper, lost, other } = await setup();
    const held = await keeper.claim('sales');
    expect(await other.acquire('sales', TTL)).toBeNull();
    await keeper.release('sales');
    expect(lost).toEqual([{ session: 'sales', token: held!.token, reason: 'released' }]);
    expect((await other.acquire('sales', TTL))?.token).toBe(2);
  });

  test('release waits for beforeHandover (the socket closing) before anyone else can take the session', async () => {
    const { dbA, clock, other } = await setup();
    let closeSocket!: () => void;
    const socketClosed = new Promise<void>((resolve) => (closeSocket = resolve));
    const handedOver: string[] = [];
    const keeper = new LeaseKeeper({
      leases: new LeaseRepository(dbA, 'node-a'),
      ttlMs: TTL,
      clock,
      beforeHandover: async (session) => {
        handedOver.push(session);
        await socketClosed;
      },
    });
    await keeper.claim('sales');
    const releasing = keeper.release('sales');
    await new Promise((resolve) => setImmediate(resolve));
    expect(handedOver).toEqual(['sales']);
    expect(keeper.mayDrive('sales')).toBe(false);
    expect(await other.acquire('sales', TTL)).toBeNull();
    closeSocket();
    await releasing;
    expect((await other.acquire('sales', TTL))?.token).toBe(2);
  });

  test('releaseAll (SIGTERM) hands every lease over and leaves the cluster', async () => {
    const { dbA, dbB, clock } = await setup();
    const nodes = new NodeRegistry(dbA, 'node-a');
    const keeper = new LeaseKeeper({ leases: new LeaseRepository(dbA, 'node-a'), nodes, ttlMs: TTL, clock });
    keeper.start();
    await keeper.settled();
    expect(await new NodeRegistry(dbB, 'node-b').liveNodes()).toEqual(['node-a']);
    for (const s of ['s1', 's2', 's3']) await keeper.claim(s);
    // A claim still on its way when SIGTERM arrives hands its lease back too.
    const late = keeper.claim('s4');
    await keeper.releaseAll();
    expect(await late).toBeNull();
    expect(await keeper.claim('s5')).toBeNull();
    expect(keeper.heldLeases()).toEqual([]);
    expect(await new NodeRegistry(dbB, 'node-b').liveNodes()).toEqual([]);
    const other = new LeaseRepository(dbB, 'node-b');
    for (const s of ['s1', 's2', 's3', 's4']) expect((await other.acquire(s, TTL))?.token).toBe(2);
    expect((await other.acquire('s5', TTL))?.token).toBe(1);
  });
});
