/**
 * Several gateway nodes on one PostgreSQL (issue 14): each session's WhatsApp socket runs on
 * exactly the node holding its lease, with real Baileys against one emulator per account. Linked
 * once, a session moves between nodes without a QR (its credentials are in the shared, fenced
 * store); a node stopping hands its sessions over at once; a node whose lease is taken closes its
 * socket; a crashed node's sessions are taken after its leases run out. No emulator ever sees two
 * live logins of one account.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { openDatabase, type SqlDatabase } from '../../src/cluster/sql/database.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { qrOn, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const NAMED = ['alpha', 'beta', 'gamma'];
const SESSIONS = [DEFAULT_SESSION, ...NAMED];
// Short, so the crash case runs in seconds; renewals every second leave room for a loaded machine.
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;

describe('cluster: each session driven by exactly one node', () => {
  let pgServer: PostgresCluster;
  let databaseUrl: string;
  let observer: SqlDatabase;
  let restoreTimers: () => void;
  const emulators = new Map<string, Emulator>();
  const nodes: ClusterNode[] = [];

  const startNode = async (id: string) => {
    const node = await startClusterNode({ id, databaseUrl, adminKey: ADMIN, leaseTtl: String(LEASE_TTL_S), emulators });
    nodes.push(node);
    return node;
  };
  const sessionPath = (session: string, route: string) => (session === DEFAULT_SESSION ? `/api/${route}` : `/api/sessions/${session}/${route}`);
  /** The running node holding the session's lease. */
  const ownerOf = (running: ClusterNode[], session: string) => running.filter((n) => n.held().includes(session));
  const totalOverlaps = () => [...emulators.values()].reduce((sum, emu) => sum + emu.overlappingLogins, 0);
  /** Every session connected on exactly one running node, the one holding its lease. */
  const eachOnExactlyOne = (running: ClusterNode[]) =>
    SESSIONS.every((s) => {
      const owners = ownerOf(running, s);
      const connectedOn = running.filter((n) => n.connected().includes(s));
      return owners.length === 1 && connectedOn.length === 1 && connectedOn[0] === owners[0] && emulators.get(s)!.connections === 1;
    });

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    pgServer = await startPostgresCluster();
    databaseUrl = pgServer.url;
    observer = await openDatabase({ databaseUrl });
    for (const [i, session] of SESSIONS.entries()) {
      const n = i + 1;
      emulators.set(
        session,
        await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: `628333000000${n}`, lid: `8900000000${n}`, pushName: session } }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await observer?.close();
    await Promise.all([...emulators.values()].map((e) => e.stop()));
    await pgServer?.stop();
    restoreTimers?.();
  }, 60_000);

  test('two nodes split four sessions, link them by QR on their owners, one socket each', async () => {
    const a = await startNode('node-a');
    // The session list is shared: created through node-a only, node-b opens them as it starts.
    for (const name of NAMED) await a.api().post('/api/sessions').send({ name }).expect(201);
    const b = await startNode('node-b');
    await b.api().post('/api/sessions').send({ name: NAMED[0] }).expect(409);
    await waitFor(() => a.held().length === 2 && b.held().length === 2, BOUND_MS, 'two sessions per node');
    for (const session of SESSIONS) {
      const [owner] = ownerOf([a, b], session);
      const qr = await qrOn(owner!, session, 10_000);
      await emulators.get(session)!.scanQr(qr);
    }
    await waitFor(() => eachOnExactlyOne([a, b]), BOUND_MS, 'every session open on its owner only');
    // A node offered a session's QR only while it held the session's lease.
    expect([...a.qrs, ...b.qrs].filter((q) => !q.leaseHeld)).toEqual([]);
    // The owner sends through the account.
    const [alphaOwner] = ownerOf([a, b], 'alpha');
    const sent = await alphaOwner!.api().post(sessionPath('alpha', 'send-message')).send({ phone: RECIPIENT, message: 'from the owner' }).expect(200);
    const id = (sent.body as { data: { message_id: string } }).data.message_id;
    await emulators.get('alpha')!.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(totalOverlaps()).toBe(0);
  }, 60_000);

  test('a node that stops hands its sessions over; the other restores them without a QR', async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const moving = a.held();
    const logins = new Map(moving.map((s) => [s, emulators.get(s)!.logins]));
    const qrsBefore = b.qrs.length;
    // A message sent through node-a before it stops: its record is in the shared store.
    const before = await a.api().post(sessionPath(moving[0]!, 'send-message')).send({ phone: RECIPIENT, message: 'before handover' }).expect(200);
    const beforeId = (before.body as { data: { message_id: string } }).data.message_id;
    const recordOn = async (node: ClusterNode) =>
      (
        (
          await node
            .api()
            .get(sessionPath(moving[0]!, `messages/${beforeId}`))
            .expect(200)
        ).body as { data: { status: string } }
      ).data;
    await waitFor(async () => (await recordOn(a)).status !== 'pending', BOUND_MS, 'the message acknowledged on node-a');
    const lastSeenOnA = await recordOn(a);
    await a.stop();
    await waitFor(() => b.held().length === SESSIONS.length && eachOnExactlyOne([b]), BOUND_MS, 'node-b drives all four');
    for (const session of moving) expect(emulators.get(session)!.logins).toBeGreaterThan(logins.get(session)!);
    expect(b.qrs.length).toBe(qrsBefore);
    // node-b shows the record node-a wrote, with its status as node-a last saw it (or later).
    // (The delivery receipt may reach either node, before or after the handover.)
    const onB = await recordOn(b);
    expect(onB).toMatchObject({ message_id: beforeId, summary: 'before handover' });
    const progress = ['sent', 'delivered', 'read'];
    expect(progress.indexOf(onB.status)).toBeGreaterThanOrEqual(progress.indexOf(lastSeenOnA.status));
    expect(progress.indexOf(lastSeenOnA.status)).toBeGreaterThanOrEqual(0);
    const sent = await b.api().post(sessionPath(moving[0]!, 'send-message')).send({ phone: RECIPIENT, message: 'after handover' }).expect(200);
    const id = (sent.body as { data: { message_id: string } }).data.message_id;
    await emulators.get(moving[0]!)!.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    expect(totalOverlaps()).toBe(0);
  }, 60_000);

  test('a node whose lease is taken closes that socket at once; it drives it again once free', async () => {
    const b = nodes[1]!;
    const thief = new LeaseRepository(observer, 'thief');
    const emu = emulators.get('beta')!;
    // The lease runs out as if node-b's renewals had stopped reaching the database, and another node takes it.
    await sql`update session_leases set expires_at = 0 where session = 'beta'`.execute(observer.db);
    const stolen = await thief.acquire('beta', 60_000);
    expect(stolen).not.toBeNull();
    await waitFor(() => !b.held().includes('beta') && !b.connected().includes('beta') && emu.connections === 0, BOUND_MS, 'node-b let beta go');
    // Its socket stays closed while the thief holds the lease, even across balancing rounds.
    await waitFor(() => b.gateway.cluster!.membership.settled().then(() => true), BOUND_MS, 'a balancing round');
    expect(emu.connections).toBe(0);
    const logins = emu.logins;
    await thief.release('beta', stolen!.token);
    await waitFor(() => eachOnExactlyOne([b]), BOUND_MS, 'beta back on node-b');
    expect(emu.logins).toBeGreaterThan(logins);
    expect(totalOverlaps()).toBe(0);
  }, 60_000);

  test("a crashed node's sessions are taken once its leases run out, without a QR", async () => {
    const b = nodes[1]!;
    const c = await startNode('node-c');
    await waitFor(() => c.held().length === 2 && b.held().length === 2 && eachOnExactlyOne([b, c]), BOUND_MS, 'node-c took its share');
    const moving = b.held();
    const logins = new Map(moving.map((s) => [s, emulators.get(s)!.logins]));
    // node-b dies: its sockets drop and it releases nothing.
    await b.gateway.cluster!.abandon();
    await waitFor(() => c.held().length === SESSIONS.length && eachOnExactlyOne([c]), BOUND_MS, 'node-c drives all four');
    for (const session of moving) expect(emulators.get(session)!.logins).toBeGreaterThan(logins.get(session)!);
    expect(c.qrs).toEqual([]);
    expect(totalOverlaps()).toBe(0);
  }, 60_000);

  test('a session created through one node is listed by another, which takes it over and links it', async () => {
    const c = nodes[2]!;
    emulators.set(
      'delta',
      await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000009', lid: '89000000009', pushName: 'delta' } }),
    );
    const d = await startNode('node-d');
    await c.api().post('/api/sessions').send({ name: 'delta' }).expect(201);
    const listed = async () => ((await d.api().get('/api/sessions').expect(200)).body as { data: Array<{ name: string }> }).data.map((s) => s.name);
    await waitFor(async () => (await listed()).includes('delta'), BOUND_MS, 'node-d lists delta');
    // node-c stops: node-d drives every session, delta included, and links delta by its QR.
    await c.stop();
    await waitFor(() => d.held().length === SESSIONS.length + 1, BOUND_MS, 'node-d holds all five');
    const qr = await qrOn(d, 'delta', BOUND_MS);
    await emulators.get('delta')!.scanQr(qr);
    await waitFor(() => d.connected().includes('delta') && emulators.get('delta')!.connections === 1, BOUND_MS, 'delta linked on node-d');
    expect(totalOverlaps()).toBe(0);
  }, 60_000);
});
