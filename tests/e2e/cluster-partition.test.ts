/**
 * A node cut off from PostgreSQL fences itself (issue 14, item 5, the partition case). Node A runs
 * in its own network namespace (`ip netns`) with two veth links to this machine: one to the
 * account emulators (and its HTTP API), one to PostgreSQL. Setting the PostgreSQL link down cuts A
 * off from the database only; its WhatsApp sockets stay up. A must close every session's socket
 * before its lease can expire at the database, node B (host namespace) takes every session over
 * after the expiry, and no emulator ever sees two live logins of one account. When the link comes
 * back, A does not drive on its old leases. Both nodes are real gateway processes
 * (dist/bench/gateway-child.js) with real Baileys; needs root for `ip netns` (fails, not skips).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { openDatabase, type SqlDatabase } from '../../src/cluster/sql/database.js';
import { routeLibsignalConsole } from '../../src/whatsapp/baileys/libsignal-console.js';
import { createNetworkNamespace, type NetworkNamespace, type VethLink } from '../support/network-namespace.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { freePort, startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';
import { waitFor } from './support/harness.js';
import { PartitionWatch } from './support/partition-watch.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const SESSIONS = ['default', 'alpha', 'beta'];
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;

/** Both nodes: sends to a busy recipient queue in the shared outbox, paced half a second apart. */
const ENV = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '500' };
const QUEUED = 5;
const OTHER_RECIPIENT = '6281234567891';

const route = (session: string, rest: string) => (session === 'default' ? `/api/${rest}` : `/api/sessions/${session}/${rest}`);

describe('cluster: a node cut off from PostgreSQL', () => {
  let namespace: NetworkNamespace | undefined;
  let toWhatsApp: VethLink;
  let toPostgres: VethLink;
  let pgServer: PostgresCluster | undefined;
  let observer: SqlDatabase | undefined;
  let watch: PartitionWatch | undefined;
  let root: string;
  let restoreTimers: () => void;
  const emulators = new Map<string, Emulator>();
  let a: GatewayProcess;
  let b: GatewayProcess | undefined;
  const nodes: GatewayProcess[] = [];

  const leasesOf = async (node: string) => (await watch!.leases()).filter((l) => l.owner_node === node && l.expires_at > Date.now());
  const overlaps = () => [...emulators.values()].reduce((sum, emu) => sum + emu.overlappingLogins, 0);
  const sendThrough = async (node: GatewayProcess, session: string, text: string, phone = RECIPIENT) => {
    const res = await node.api('POST', route(session, 'send-message'), { phone, message: text });
    return { status: res.status, body: res.body as { status: string; code?: string; message?: string; data?: { id: string; message_id: string } } };
  };
  /** Copies of a message the recipient's phone shows: one per id, whatever was resent. */
  const shown = (session: string, messageId: string) =>
    emulators.get(session)!.messages.filter((m) => m.id === messageId && !m.isOwnDeviceCopy && !m.duplicate);
  /**
   * A send accepted (200 sent, or 202 queued: alpha's outbox still holds jobs, and a session's
   * sends keep FIFO behind them) reaches the phone once.
   */
  const sendsOnce = async (node: GatewayProcess, session: string, text: string) => {
    const sent = await sendThrough(node, session, text, OTHER_RECIPIENT);
    expect([200, 202]).toContain(sent.status);
    await waitFor(() => shown(session, sent.body.data!.message_id).length === 1, BOUND_MS, `${text} shown`);
  };
  /** Messages A had queued for alpha when it was cut off. */
  const queued: string[] = [];
  /** Sends made to A during the partition, answered whenever A answers. */
  const probes: Array<{ session: string; text: string; answer: ReturnType<typeof sendThrough> }> = [];
  /** How each send made during the partition was answered (printed at the end). */
  const outcomes: string[] = [];
  /** The token B took each session over with. */
  const takenWith = new Map<string, number>();

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    routeLibsignalConsole(pino({ level: 'silent' }));
    root = await mkdtemp(path.join(tmpdir(), 'wa-partition-'));
    // Fails the file (not skips it) when the namespace cannot be made: no root, no iproute2.
    namespace = await createNetworkNamespace(2);
    [toWhatsApp, toPostgres] = namespace.links as [VethLink, VethLink];
    pgServer = await startPostgresCluster('gateway', { also: { address: toPostgres.hostAddress, clientNetwork: toPostgres.network } });
    observer = await openDatabase({ databaseUrl: pgServer.url });
    for (const [i, session] of SESSIONS.entries()) {
      const account = { phone: `62833300000${i + 1}`, lid: `890000000${i + 1}`, pushName: session };
      emulators.set(session, await startEmulator({ logger: pino({ level: 'silent' }), account, host: toWhatsApp.hostAddress }));
    }
    watch = new PartitionWatch(emulators, observer, 'node-a');
    a = await startGatewayProcess({
      id: 'node-a',
      root,
      namespace,
      databaseUrl: pgServer.url.replace('@127.0.0.1:', `@${toPostgres.hostAddress}:`),
      adminKey: ADMIN,
      leaseTtl: String(LEASE_TTL_S),
      host: toWhatsApp.namespaceAddress,
      port: 5000,
      emulators,
      env: ENV,
    });
    nodes.push(a);
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) await node.kill().catch(() => undefined);
    // Each node's log, and how the partition went, for whoever wants to look (no assertion reads them).
    const logDir = process.env.PARTITION_LOG_DIR;
    if (logDir) {
      for (const node of nodes) await writeFile(path.join(logDir, `${node.id}.log`), node.output());
      const margins = SESSIONS.map(
        (s) => `${s}: A's socket closed ${(watch?.expiryOfCutOff.get(s) ?? NaN) - (watch?.closedAt.get(s) ?? NaN)} ms before its lease expired`,
      );
      await writeFile(path.join(logDir, 'summary.txt'), [...margins, ...outcomes].join('\n') + '\n');
    }
    await watch?.stop().catch(() => undefined);
    await observer?.close().catch(() => undefined);
    await Promise.all([...emulators.values()].map((e) => e.stop().catch(() => undefined)));
    await pgServer?.stop().catch(() => undefined);
    await namespace?.remove();
    if (root) await rm(root, { recursive: true, force: true });
    restoreTimers?.();
  }, 30_000);

  test('node A, in its own network namespace, drives three linked sessions', async () => {
    await waitFor(async () => (await a.api('GET', '/api/status').catch(() => undefined))?.status === 200, BOUND_MS, 'node A answering');
    for (const name of SESSIONS.slice(1)) expect((await a.api('POST', '/api/sessions', { name })).status).toBe(201);
    await waitFor(async () => (await leasesOf('node-a')).length === SESSIONS.length, BOUND_MS, 'node A holding every lease');
    for (const session of SESSIONS) {
      const qr = await waitFor(async () => (await a.api('GET', route(session, 'qr'))).body.qr as string | undefined, 10_000, `a QR for ${session}`);
      await emulators.get(session)!.scanQr(qr);
    }
    for (const session of SESSIONS) {
      await waitFor(async () => (await a.api('GET', route(session, 'status'))).body.bot_connected === true, BOUND_MS, `${session} connected`);
      const sent = await sendThrough(a, session, `before the cut (${session})`);
      expect(sent.status).toBe(200);
      await emulators.get(session)!.waitForMessage((m) => m.id === sent.body.data!.message_id && !m.isOwnDeviceCopy);
    }
    expect(SESSIONS.map((s) => emulators.get(s)!.connections)).toEqual([1, 1, 1]);
  }, 60_000);

  test('cut off from PostgreSQL, A closes every socket before its leases expire; B takes every session over', async () => {
    // A's outbox worker is draining alpha's queue (paced 1 s apart) when the link goes.
    for (let i = 1; i <= QUEUED; i++) {
      const res = await sendThrough(a, 'alpha', `queued ${i}`);
      expect([200, 202]).toContain(res.status);
      queued.push(res.body.data!.message_id);
    }
    const cutAt = Date.now();
    watch!.arm();
    await toPostgres.down();
    // Sent to A during the partition: while it still drives the session, and after it fenced itself.
    probes.push({ session: 'beta', text: 'sent to A while cut off, still driving', answer: sendThrough(a, 'beta', 'sent to A while cut off, still driving') });
    await waitFor(() => SESSIONS.every((s) => watch!.closedAt.has(s)), BOUND_MS, 'every socket of A closed').catch((error: Error) => {
      const log = a
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{') && !l.includes('heartbeat failed') && !l.includes('renewal failed'));
      throw new Error(`${error.message}: closed ${[...watch!.closedAt.keys()].join(', ') || 'none'}\n${log.join('\n').slice(-4000)}`);
    });
    probes.push({ session: 'default', text: 'sent to A while cut off, fenced', answer: sendThrough(a, 'default', 'sent to A while cut off, fenced') });

    b = await startGatewayProcess({
      id: 'node-b',
      root,
      databaseUrl: pgServer!.url,
      adminKey: ADMIN,
      leaseTtl: String(LEASE_TTL_S),
      host: '127.0.0.1',
      port: await freePort(),
      emulators,
      env: ENV,
    });
    nodes.push(b);
    const held = await waitFor(
      async () => {
        const leases = await leasesOf('node-b');
        return leases.length === SESSIONS.length && leases;
      },
      BOUND_MS,
      'node B holding every lease',
    );
    for (const lease of held) takenWith.set(lease.session, lease.token);
    for (const session of SESSIONS) {
      // A's socket ended at the emulator after the cut and before the database would let anyone
      // else take the lease (its last expiry as A left it: the same machine's clock).
      const closedAt = watch!.closedAt.get(session)!;
      expect(closedAt).toBeGreaterThan(cutAt);
      expect(closedAt).toBeLessThan(watch!.expiryOfCutOff.get(session)!);
    }
    for (const session of SESSIONS) {
      await waitFor(async () => (await b!.api('GET', route(session, 'status'))).body.bot_connected === true, BOUND_MS, `${session} connected on B`);
      await sendsOnce(b, session, `after the takeover (${session})`);
    }
    // Every message A had queued arrives once (A sent some before the cut, B the rest).
    await waitFor(() => queued.every((id) => shown('alpha', id).length === 1), BOUND_MS, 'every queued message shown once');
    expect(overlaps()).toBe(0);
    expect([...watch!.maxOpen.values()]).toEqual([1, 1, 1]);
  }, 60_000);

  test('healed, A does not drive on its old leases; what was sent to it meanwhile is answered honestly', async () => {
    await toPostgres.up();
    await waitFor(
      async () =>
        (await observer!.db
          .selectFrom('cluster_nodes')
          .select('node_id')
          .where('node_id', '=', 'node-a')
          .where('expires_at', '>', Date.now())
          .executeTakeFirst()) !== undefined,
      BOUND_MS,
      'node A back in the cluster',
    );
    // Each send made to A while it was cut off is either refused, and then never sent, or
    // accepted and delivered once by the session's driver: never accepted and lost, never twice.
    // Refused: 503 BOT_NOT_CONNECTED when A had decided to send it itself and was no longer
    // driving once its write went through; 503 STORE_UNAVAILABLE when A needed a new database
    // connection for it and the connect failed (EHOSTUNREACH or the connect timeout, nothing
    // written). Either may come during the cut or after healing.
    const refused: Array<() => unknown[]> = [];
    for (const probe of probes) {
      const answer = await probe.answer;
      const copies = () => emulators.get(probe.session)!.messages.filter((m) => m.text === probe.text && !m.isOwnDeviceCopy && !m.duplicate);
      outcomes.push(`${probe.text}: ${answer.status} ${answer.body.code ?? answer.body.data?.message_id}`);
      if (answer.status === 503) expect(['BOT_NOT_CONNECTED', 'STORE_UNAVAILABLE']).toContain(answer.body.code);
      else {
        expect([200, 202]).toContain(answer.status);
        await waitFor(() => copies().length === 1, BOUND_MS, `${probe.text} shown once`);
        continue;
      }
      refused.push(copies);
    }
    // The balancer gives A its share back by handover from B: every session is then driven by one
    // node, and any that A drives it acquired anew (a later token than B's), not on its old lease.
    await waitFor(
      async () => {
        const live = await watch!.leases();
        const ofA = live.filter((l) => l.owner_node === 'node-a' && l.expires_at > Date.now());
        return ofA.length === 1 && SESSIONS.every((s) => emulators.get(s)!.connections === 1) && ofA;
      },
      BOUND_MS,
      'A given one session back by handover',
    ).then((ofA) => expect(ofA[0]!.token).toBeGreaterThan(takenWith.get(ofA[0]!.session)!));
    for (const session of SESSIONS) {
      await sendsOnce(a, session, `after healing (${session})`);
    }
    // By now every outbox has drained through the healed cluster: a refused send did not slip out.
    for (const copies of refused) expect(copies()).toEqual([]);
    expect(overlaps()).toBe(0);
    expect([...watch!.maxOpen.values()]).toEqual([1, 1, 1]);
  }, 60_000);
});
