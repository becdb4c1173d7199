/**
 * Linking on a cluster node whose database is slow to write credentials. WhatsApp's 515 restart
 * follows pairing within a round trip, and on the shared store the new credentials are written
 * asynchronously: the restarted socket must log in with them, not load the unpaired ones and
 * register afresh (a new QR, the link just made lost). A trigger holds every credentials write in
 * PostgreSQL for half a second, as a slow disk or a distant database would.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { openDatabase, type SqlDatabase } from '../../src/cluster/sql/database.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { qrOn, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
let pgServer: PostgresCluster;
let observer: SqlDatabase;
let emulator: Emulator;
let node: ClusterNode;
let restoreTimers: () => void;

beforeAll(async () => {
  restoreTimers = unrefBaileysTimers();
  pgServer = await startPostgresCluster();
  emulator = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000021', lid: '89000000021', pushName: 'slow' } });
  node = await startClusterNode({
    id: 'node-a',
    databaseUrl: pgServer.url,
    adminKey: ADMIN,
    leaseTtl: '10',
    emulators: new Map([[DEFAULT_SESSION, emulator]]),
  });
  // The node has migrated the schema; from here on each credentials write takes 0.5 s to commit.
  observer = await openDatabase({ databaseUrl: pgServer.url });
  await sql`create function slow_creds() returns trigger language plpgsql as $$ begin perform pg_sleep(0.5); return new; end $$`.execute(observer.db);
  await sql`create trigger slow_creds before insert or update on session_keys for each row when (new.type = 'creds') execute function slow_creds()`.execute(
    observer.db,
  );
}, 60_000);

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await observer?.close();
  await emulator?.stop();
  await pgServer?.stop();
  restoreTimers?.();
}, 60_000);

test('a QR scanned while the credentials write is slow links the account: the restart logs in, no second QR', async () => {
  const qr = await qrOn(node, DEFAULT_SESSION, 10_000);
  const offered = node.qrs.length;
  await emulator.scanQr(qr);
  await waitFor(() => node.connected().includes(DEFAULT_SESSION) && emulator.connections === 1, 15_000, 'the session linked');
  expect(emulator.logins).toBeGreaterThanOrEqual(1);
  // The socket after the restart logged in: it offered no QR of its own.
  expect(node.qrs.slice(offered)).toEqual([]);
  const status = (await node.api().get('/api/status').expect(200)).body as { connection: { account?: { jid: string } } };
  expect(status.connection.account?.jid).toMatch(/^6283330000021:\d+@s\.whatsapp\.net$/);
}, 60_000);
