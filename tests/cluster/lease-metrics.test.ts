/**
 * Lease metrics from a real keeper over a real SQLite shared store, its clock driven by hand: a
 * renewal the database refuses (another connection holds the write lock: BUSY) counts as a renew
 * failure, the deadline passing counts as `self-fenced`, and the held gauges drop to 0; a session
 * no longer known here leaves no series.
 */
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { registerLeaseMetrics } from '../../src/metrics/lease-metrics.js';
import { useTestDatabases } from '../support/cluster-databases.js';
import { FakeClock } from '../support/fake-clock.js';

const TTL = 15_000;
const MARGIN = 3_000;

/** One sample of the registry's text page, or undefined when the series is absent. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('lease metrics', () => {
  const dbs = useTestDatabases('sqlite');

  test('a refused renewal is a renew failure; the deadline passing is a self-fence; held drops to 0', async () => {
    const target = await dbs.freshTarget();
    if (!('sqlitePath' in target)) throw new Error('sqlite expected');
    const store = await dbs.open({ ...target, busyTimeoutMs: 50 });
    const clock = new FakeClock();
    const keeper = new LeaseKeeper({ leases: new LeaseRepository(store, 'node-a'), ttlMs: TTL, safetyMarginMs: MARGIN, clock });
    const registry = new Registry();
    let sessions = ['sales'];
    registerLeaseMetrics(registry, keeper, () => sessions);

    expect(await sample(registry, 'wa_gateway_lease_held{session="sales"}')).toBe(0);
    keeper.start();
    await keeper.claim('sales');
    expect(await sample(registry, 'wa_gateway_lease_held{session="sales"}')).toBe(1);
    expect(await sample(registry, 'wa_gateway_leases_held')).toBe(1);
    expect(await sample(registry, 'wa_gateway_lease_acquisitions_total{session="sales"}')).toBe(1);
    expect(await sample(registry, 'wa_gateway_lease_renew_failures_total{session="sales"}')).toBe(0);

    // Another connection holds SQLite's write lock: the renewal fails with BUSY.
    const blocker = new Database(target.sqlitePath);
    blocker.exec('BEGIN IMMEDIATE');
    clock.advance(TTL / 3);
    await keeper.settled();
    expect(await sample(registry, 'wa_gateway_lease_renew_failures_total{session="sales"}')).toBe(1);
    expect(await sample(registry, 'wa_gateway_lease_held{session="sales"}')).toBe(1);

    clock.advance(TTL - MARGIN - TTL / 3);
    await keeper.settled();
    expect(await sample(registry, 'wa_gateway_lease_losses_total{session="sales",reason="self-fenced"}')).toBe(1);
    expect(await sample(registry, 'wa_gateway_lease_losses_total{session="sales",reason="released"}')).toBe(0);
    expect(await sample(registry, 'wa_gateway_lease_held{session="sales"}')).toBe(0);
    expect(await sample(registry, 'wa_gateway_leases_held')).toBe(0);
    blocker.exec('COMMIT');
    blocker.close();

    // The session is deleted here: its series go.
    sessions = [];
    const page = await registry.metrics();
    expect(page.split('\n').filter((l) => l.includes('session="sales"'))).toEqual([]);
    keeper.stop();
  });
});
