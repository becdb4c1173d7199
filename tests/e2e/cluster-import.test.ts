/**
 * An install switched to cluster mode (issue 14): the same DATA_DIR, started with DATABASE_URL,
 * keeps its login (no QR: the credentials were imported into the shared store on the cluster's
 * first start) and its message records. Real Baileys against the emulator, real PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { qrOn, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const BOUND_MS = 15_000;

let pgServer: PostgresCluster;
let emulator: Emulator;
let root: string;
let restoreTimers: () => void;
const nodes: ClusterNode[] = [];

beforeAll(async () => {
  restoreTimers = unrefBaileysTimers();
  pgServer = await startPostgresCluster();
  emulator = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000001', lid: '89000000001', pushName: 'install' } });
  root = await mkdtemp(path.join(tmpdir(), 'wa-cluster-import-'));
}, 60_000);

afterAll(async () => {
  for (const node of nodes) await node.stop().catch(() => undefined);
  await emulator?.stop();
  await pgServer?.stop();
  await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  restoreTimers?.();
}, 60_000);

test('a linked install started in cluster mode keeps its login and its records', async () => {
  const emulators = new Map([[DEFAULT_SESSION, emulator]]);
  /** `install`: on the install's folder; otherwise a node of its own (a fresh DATA_DIR). */
  const start = async (id: string, databaseUrl?: string, install = true) => {
    const node = await startClusterNode({ id, databaseUrl, root: install ? root : undefined, adminKey: ADMIN, leaseTtl: '3', emulators });
    nodes.push(node);
    return node;
  };
  // The install as it runs today: one node, embedded SQLite, linked by QR.
  const single = await start('single');
  const qr = await qrOn(single, DEFAULT_SESSION, 10_000);
  await emulator.scanQr(qr);
  await waitFor(() => single.connected().includes(DEFAULT_SESSION), BOUND_MS, 'linked');
  const sent = await single.api().post('/api/send-message').send({ phone: RECIPIENT, message: 'before the cluster' }).expect(200);
  const id = (sent.body as { data: { message_id: string } }).data.message_id;
  const record = async (node: ClusterNode) => (await node.api().get(`/api/messages/${id}`).expect(200)).body as { data: { status: string } };
  await waitFor(async () => (await record(single)).data.status !== 'pending', BOUND_MS, 'acknowledged');
  const statusBefore = (await record(single)).data.status;
  await single.stop();

  // The same DATA_DIR, now a cluster node: no QR, the same account, the same record.
  const logins = emulator.logins;
  const clustered = await start('clustered', pgServer.url);
  await waitFor(() => clustered.held().includes(DEFAULT_SESSION) && clustered.connected().includes(DEFAULT_SESSION), BOUND_MS, 'logged in again');
  expect(clustered.qrs).toEqual([]);
  expect(emulator.logins).toBeGreaterThan(logins);
  expect((await record(clustered)).data).toMatchObject({ message_id: id, summary: 'before the cluster', status: statusBefore });
  // A second node of the fresh cluster imports nothing more and sees the same record.
  const other = await start('other', pgServer.url, false);
  expect((await record(other)).data).toMatchObject({ message_id: id, status: statusBefore });
  expect(emulator.overlappingLogins).toBe(0);
}, 90_000);
