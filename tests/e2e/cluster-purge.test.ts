/**
 * Deleting a session in cluster mode (issue 14): every row it had in the shared store goes, fenced
 * by its lease, whichever node the DELETE reaches. Two real gateway nodes on one PostgreSQL, real
 * Baileys against the emulator. The session is linked and used (sends through both nodes, a poll
 * and its vote, an edit, an incoming text, webhook deliveries, an idempotent send), the rows are
 * counted per table, the DELETE goes to the node that does NOT drive it: the driver logs the account
 * out, every table has no row left for it, both nodes forget it, and a session created again under
 * the same name starts empty with a new QR.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { openDatabase, type SqlDatabase } from '../../src/cluster/sql/database.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { linkOnDriver, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const SENDER = '6281234567899';
const SHOP = 'shop';
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;
// Every node needs the same content key: the session's webhook secret is sealed with it.
const ENV = { SEND_ACK_TIMEOUT: '5', PACING_RECIPIENT_INTERVAL_MS: '0', MESSAGE_CONTENT_KEY: 'purge-test-content-key-0123456789abcdef' };
const base = `/api/sessions/${SHOP}`;

interface SendBody {
  data: { id: string; message_id: string };
}

describe('cluster: deleting a session removes every row of it from the shared store', () => {
  let pgServer: PostgresCluster;
  let observer: SqlDatabase;
  let receiver: Server;
  let receiverUrl = '';
  let restoreTimers: () => void;
  const emulators = new Map<string, Emulator>();
  const nodes: ClusterNode[] = [];
  let firstQr = '';

  /** Rows per table holding a `session` column (the database's catalogue, not the code's list). */
  const rowsPerTable = async (session: string): Promise<Record<string, number>> => {
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.columns
      where column_name = 'session' and table_schema = current_schema() order by table_name`.execute(observer.db);
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const row = await sql<{ n: string }>`select count(*) as n from ${sql.table(name)} where session = ${session}`.execute(observer.db);
      counts[name] = Number(row.rows[0]!.n);
    }
    const listed = await observer.db.selectFrom('sessions').select('name').where('name', '=', session).execute();
    counts.sessions = listed.length;
    return counts;
  };
  const ownerOf = (session: string) => nodes.find((n) => n.held().includes(session));
  const waitForOwner = (session: string) => waitFor(() => ownerOf(session), BOUND_MS, `a node driving ${session}`);
  /**
   * The QR of whichever node drives the session when asked: on a loaded machine a node can
   * self-fence while starting (its lease then moves, and the QR with it).
   */
  const currentQr = () =>
    waitFor(
      async () => {
        const node = ownerOf(SHOP);
        const res = node ? await node.api().get(`${base}/qr`) : undefined;
        return res?.status === 200 ? (res.body as { qr: string }).qr : undefined;
      },
      BOUND_MS,
      `a QR for ${SHOP}`,
    );
  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    pgServer = await startPostgresCluster();
    observer = await openDatabase({ databaseUrl: pgServer.url });
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    for (const [i, session] of [DEFAULT_SESSION, SHOP].entries())
      emulators.set(
        session,
        await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: `62833300000${i + 1}`, lid: `8900000000${i + 1}`, pushName: session } }),
      );
    for (const id of ['node-a', 'node-b'])
      nodes.push(await startClusterNode({ id, databaseUrl: pgServer.url, adminKey: ADMIN, leaseTtl: String(LEASE_TTL_S), emulators, env: ENV }));
  }, 90_000);

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await observer?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await Promise.all([...emulators.values()].map((e) => e.stop()));
    await pgServer?.stop();
    restoreTimers?.();
  }, 60_000);

  test('deleted through the node that does not drive it: logged out, no row left in any table, gone from both nodes', async () => {
    const emulator = emulators.get(SHOP)!;
    await nodes[0]!.api().post('/api/sessions').send({ name: SHOP, webhook_url: receiverUrl, webhook_secret: 'shop-webhook-secret-123' }).expect(201);
    const { owner, qr } = await linkOnDriver(nodes, emulator, SHOP, BOUND_MS);
    firstQr = qr;
    const other = nodes.find((n) => n !== owner)!;

    // Use the session so that its tables fill: sends through both nodes, an idempotent one, a poll
    // and a vote on it, an edit, an incoming text; each event is a webhook delivery.
    const direct = await owner.api().post(`${base}/send-message`).set('Idempotency-Key', 'purge-1').send({ phone: RECIPIENT, message: 'direct' }).expect(200);
    await other.api().post(`${base}/send-message`).send({ phone: RECIPIENT, message: 'routed' }).expect(200);
    const poll = await owner
      .api()
      .post(`${base}/send-poll`)
      .send({ phone: RECIPIENT, question: 'Makan di mana?', options: ['Padang', 'Sunda'] })
      .expect(200);
    const pollCopy = await emulator.waitForMessage((m) => m.id === (poll.body as SendBody).data.message_id && !m.isOwnDeviceCopy);
    await emulator.sendIncomingPollVote(RECIPIENT, pollCopy, ['Sunda']);
    await owner
      .api()
      .post(`${base}/messages/${(direct.body as SendBody).data.id}/edit`)
      .send({ message: 'direct, edited' })
      .expect(200);
    await emulator.sendIncomingText(SENDER, 'halo toko');
    const filled = ['messages', 'outbox_jobs', 'send_log', 'sent_content', 'idempotency_keys', 'polls', 'poll_votes', 'message_changes'];
    const before = await waitFor(
      async () => {
        const counts = await rowsPerTable(SHOP);
        return [...filled, 'received_messages', 'webhook_deliveries', 'session_keys'].every((t) => counts[t]! > 0) && counts;
      },
      20_000,
      'rows in every table the session used',
    );
    expect(before.sessions).toBe(1);
    const defaultBefore = await rowsPerTable(DEFAULT_SESSION);
    const leaseLines = (await owner.api().get('/metrics').expect(200)).text.split('\n');
    expect(leaseLines).toContain(`wa_gateway_lease_held{session="${SHOP}"} 1`);
    expect(emulator.pairedDevices().map((d) => d.removed)).toEqual([false]);

    const res = await other.api().delete(`/api/sessions/${SHOP}`).expect(200);
    expect(res.body).toMatchObject({ status: 'success', data: { name: SHOP } });

    const after = await rowsPerTable(SHOP);
    // The lease row stays (a name's tokens never repeat); nothing else of the session is left.
    const { session_leases: leaseRows, ...data } = after;
    expect(leaseRows).toBe(1);
    expect(Object.entries(data).filter(([, n]) => n > 0)).toEqual([]);
    expect(await rowsPerTable(DEFAULT_SESSION)).toEqual(defaultBefore);
    // The driver logged the account out, as a single node does.
    expect(emulator.pairedDevices().map((d) => d.removed)).toEqual([true]);
    // Both nodes closed it (the owner on the purge's NOTIFY).
    await waitFor(() => nodes.every((n) => !n.gateway.sessions.get(SHOP)), BOUND_MS, 'both nodes closed the session');
    for (const node of nodes) await node.api().get(`${base}/status`).expect(404);
    // Nor do its lease series stay in either node's metrics.
    for (const node of nodes) {
      const page = (await node.api().get('/metrics').expect(200)).text;
      expect(page.split('\n').filter((line) => line.startsWith('wa_gateway_lease') && line.includes(`session="${SHOP}"`))).toEqual([]);
    }
    expect((await owner.api().get('/api/sessions').expect(200)).body.data.map((s: { name: string }) => s.name)).toEqual([DEFAULT_SESSION]);
    expect(emulator.overlappingLogins).toBe(0);
  }, 90_000);

  test('created again under the same name it starts empty (a new QR, no records); deleted through its driver', async () => {
    await nodes[1]!.api().post('/api/sessions').send({ name: SHOP }).expect(201);
    const qr = await currentQr();
    expect(qr).not.toEqual(firstQr);
    await waitFor(() => nodes.every((n) => n.gateway.sessions.get(SHOP)), BOUND_MS, 'both nodes opened the new session');
    for (const node of nodes) expect((await node.api().get(`${base}/messages`).expect(200)).body.data).toEqual([]);
    const counts = await rowsPerTable(SHOP);
    for (const table of ['messages', 'outbox_jobs', 'received_messages', 'polls', 'webhook_deliveries', 'idempotency_keys', 'sent_content'])
      expect([table, counts[table]]).toEqual([table, 0]);

    // Through the node driving it now (the delete's own case of the owner handing over).
    await (await waitForOwner(SHOP)).api().delete(`/api/sessions/${SHOP}`).expect(200);
    const { session_leases: leaseRows, ...data } = await rowsPerTable(SHOP);
    expect(leaseRows).toBe(1);
    expect(Object.entries(data).filter(([, n]) => n > 0)).toEqual([]);
    await waitFor(() => nodes.every((n) => !n.gateway.sessions.get(SHOP)), BOUND_MS, 'both nodes closed the session');
  }, 60_000);
});
