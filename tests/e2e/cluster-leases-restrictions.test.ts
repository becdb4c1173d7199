/**
 * Two real gateway nodes on one PostgreSQL, real Baileys against the emulator (issue 14): each
 * node's GET /metrics shows its leases (which sessions it drives, how often it took and lost them
 * and why), and an account restriction WhatsApp put on the session, seen by the node driving it,
 * is what every node reports in /api/status, also after the session moved to the other node.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { linkOnDriver, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const ESTABLISHED = '6281234567890';
const NEW_CONTACT = '6281300000001';
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;
const ENV = { SEND_ACK_TIMEOUT: '5', PACING_RECIPIENT_INTERVAL_MS: '0' };

/** One sample of a Prometheus text page: its value, or undefined when the series is absent. */
const sample = (page: string, series: string): number | undefined => {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('cluster: lease metrics and a shared account restriction', () => {
  let pgServer: PostgresCluster;
  let restoreTimers: () => void;
  let emulator: Emulator;
  const emulators = new Map<string, Emulator>();
  const nodes: ClusterNode[] = [];

  const metricsOf = async (node: ClusterNode) => (await node.api().get('/metrics').expect(200)).text;
  const ownerOfDefault = () => waitFor(() => nodes.find((n) => n.held().includes(DEFAULT_SESSION)), BOUND_MS, 'a node driving default');
  const restrictionOn = async (node: ClusterNode) =>
    ((await node.api().get('/api/status').expect(200)).body as { restriction: Record<string, unknown> | null }).restriction;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    pgServer = await startPostgresCluster();
    emulator = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000001', lid: '89000000001', pushName: 'leases' } });
    emulators.set(DEFAULT_SESSION, emulator);
    for (const id of ['node-a', 'node-b'])
      nodes.push(await startClusterNode({ id, databaseUrl: pgServer.url, adminKey: ADMIN, leaseTtl: String(LEASE_TTL_S), emulators, env: ENV }));
    await linkOnDriver(nodes, emulator, DEFAULT_SESSION, BOUND_MS);
  }, 90_000);

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await emulator?.stop();
    await pgServer?.stop();
    restoreTimers?.();
  }, 60_000);

  test("/metrics on each node: the lease it holds, its count, acquisitions; a handover counted as 'released'", async () => {
    const owner = await ownerOfDefault();
    const other = nodes.find((n) => n !== owner)!;
    const onOwner = await metricsOf(owner);
    const onOther = await metricsOf(other);
    expect(sample(onOwner, 'wa_gateway_lease_held{session="default"}')).toBe(1);
    expect(sample(onOwner, 'wa_gateway_leases_held')).toBe(1);
    expect(sample(onOwner, 'wa_gateway_lease_acquisitions_total{session="default"}')).toBe(1);
    expect(sample(onOwner, 'wa_gateway_lease_losses_total{session="default",reason="released"}')).toBe(0);
    expect(sample(onOwner, 'wa_gateway_lease_renew_failures_total{session="default"}')).toBe(0);
    expect(sample(onOther, 'wa_gateway_lease_held{session="default"}')).toBe(0);
    expect(sample(onOther, 'wa_gateway_leases_held')).toBe(0);

    await owner.gateway.cluster!.membership.keeper.release(DEFAULT_SESSION);
    const afterRelease = await metricsOf(owner);
    expect(sample(afterRelease, 'wa_gateway_lease_losses_total{session="default",reason="released"}')).toBe(1);
    for (const reason of ['expired', 'stolen', 'self-fenced'])
      expect(sample(afterRelease, `wa_gateway_lease_losses_total{session="default",reason="${reason}"}`)).toBe(0);
    // Whichever node takes it next shows it held; the two never both do.
    const next = await ownerOfDefault();
    await waitFor(() => next.connected().includes(DEFAULT_SESSION), BOUND_MS, 'default connected again');
    const held = await Promise.all(nodes.map(async (n) => sample(await metricsOf(n), 'wa_gateway_lease_held{session="default"}')));
    expect(held.sort()).toEqual([0, 1]);
  }, 60_000);

  test('a restriction seen by the driving node is what the other node reports, and stays after a handover', async () => {
    const owner = await ownerOfDefault();
    const other = nodes.find((n) => n !== owner)!;
    await owner.api().post('/api/send-message').send({ phone: ESTABLISHED, message: 'before the restriction' }).expect(200);
    expect(await restrictionOn(other)).toBeNull();

    const endsAt = new Date(Date.now() + 10 * 60 * 1000);
    emulator.setReachoutTimelock(endsAt);
    emulator.interceptAcks({ to: NEW_CONTACT, action: { error: 463 } });
    const refused = await owner.api().post('/api/send-message').send({ phone: NEW_CONTACT, message: 'reach out' }).expect(500);
    expect(refused.body).toMatchObject({ code: 'SEND_FAILED', wa_error_code: 463 });
    const onOwner = await waitFor(() => restrictionOn(owner).then((r) => r ?? undefined), 5000, 'the restriction on the owner');
    const onOther = await waitFor(() => restrictionOn(other).then((r) => r ?? undefined), BOUND_MS, 'the restriction on the other node');
    expect(onOther).toEqual(onOwner);
    expect(onOther).toMatchObject({ code: 463, until_from_whatsapp: true, new_contacts_paused: true });

    // The other node takes the session over: it still reports the restriction and still holds new contacts.
    await owner.gateway.cluster!.membership.keeper.release(DEFAULT_SESSION);
    await owner.stop();
    await waitFor(() => other.connected().includes(DEFAULT_SESSION), BOUND_MS, 'the other node drives default');
    expect(await restrictionOn(other)).toEqual(onOwner);
    const held = await other.api().post('/api/send-message').send({ phone: NEW_CONTACT, message: 'still held' });
    expect(held.status).toBe(503);
    expect(held.body).toMatchObject({ code: 'ACCOUNT_RESTRICTED' });
    // An established chat goes on.
    await other.api().post('/api/send-message').send({ phone: ESTABLISHED, message: 'established goes on' }).expect(200);
  }, 90_000);
});
