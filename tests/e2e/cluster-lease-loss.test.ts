/**
 * A node that loses a session's lease (its renewals stopped landing and another node took it)
 * closes that socket at once, even while its outbox has a send in flight waiting for WhatsApp's
 * server ack: waiting for that send (up to SEND_ACK_TIMEOUT) kept the socket open while the new
 * owner could log in, two live connections for one account (the failover test saw the emulator
 * replace one). The send cut off is not lost: once a node drives the session again it goes out
 * under its WhatsApp id, shown once. Two real nodes on one PostgreSQL, real Baileys.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { openDatabase, type SqlDatabase } from '../../src/cluster/sql/database.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { linkOnDriver, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;
/** Far longer than the lease: a socket kept open until the send gives up would be seen. */
const SEND_ACK_TIMEOUT_S = 60;

describe('cluster: a lost lease closes the socket at once', () => {
  let pgServer: PostgresCluster;
  let observer: SqlDatabase;
  let restoreTimers: () => void;
  let emulator: Emulator;
  const emulators = new Map<string, Emulator>();
  const nodes: ClusterNode[] = [];

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    pgServer = await startPostgresCluster();
    observer = await openDatabase({ databaseUrl: pgServer.url });
    emulator = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000011', lid: '89000000011', pushName: 'lease-loss' } });
    emulators.set(DEFAULT_SESSION, emulator);
    const env = { SEND_ACK_TIMEOUT: String(SEND_ACK_TIMEOUT_S), PACING_RECIPIENT_INTERVAL_MS: '0' };
    for (const id of ['node-a', 'node-b'])
      nodes.push(await startClusterNode({ id, databaseUrl: pgServer.url, adminKey: ADMIN, leaseTtl: String(LEASE_TTL_S), emulators, env }));
    await linkOnDriver(nodes, emulator, DEFAULT_SESSION, BOUND_MS);
  }, 90_000);

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await observer?.close();
    await emulator?.stop();
    await pgServer?.stop();
    restoreTimers?.();
  }, 60_000);

  test('the socket closes while the outbox send still waits for its ack; the send goes out once later', async () => {
    const owner = nodes.find((n) => n.held().includes(DEFAULT_SESSION))!;
    const other = nodes.find((n) => n !== owner)!;
    // Through the other node: a job in the owner's outbox, whose send then waits for an ack that
    // never comes (the stanza is swallowed: not delivered either).
    emulator.interceptAcks({ action: 'swallow' });
    const sending = other
      .api()
      .post('/api/send-message')
      .send({ phone: RECIPIENT, message: 'in flight at the loss' })
      .then((res) => res);
    const jobStatus = async () =>
      (await observer.db.selectFrom('outbox_jobs').select('status').where('session', '=', DEFAULT_SESSION).executeTakeFirst())?.status;
    await waitFor(async () => (await jobStatus()) === 'in_flight', BOUND_MS, 'the send in flight on the owner');

    // Another node takes the lease, as if the owner's renewals had stopped landing (one statement:
    // no balancing round of either node can come in between).
    const taken = await sql<{ token: number }>`
      update session_leases set owner_node = 'thief', token = token + 1, expires_at = ${Date.now() + 600_000}
      where session = ${DEFAULT_SESSION} returning token`.execute(observer.db);
    const token = Number(taken.rows[0]!.token);
    await waitFor(
      () => !owner.held().includes(DEFAULT_SESSION) && !owner.connected().includes(DEFAULT_SESSION) && emulator.connections === 0,
      BOUND_MS,
      'the socket closed while its send still waited for the ack',
    );

    // Free again: a node drives the session, and the send cut off goes out under its id, once.
    emulator.clearAckRules();
    await new LeaseRepository(observer, 'thief').release(DEFAULT_SESSION, token);
    const res = await sending;
    expect([200, 202]).toContain(res.status);
    const messageId = (res.body as { data: { message_id: string } }).data.message_id;
    await emulator.waitForMessage((m) => m.id === messageId && !m.isOwnDeviceCopy, SEND_ACK_TIMEOUT_S * 1000);
    expect(emulator.messages.filter((m) => m.text === 'in flight at the loss' && !m.isOwnDeviceCopy && !m.duplicate).map((m) => m.id)).toEqual([messageId]);
    expect(emulator.overlappingLogins).toBe(0);
  }, 150_000);
});
