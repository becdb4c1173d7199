/**
 * Gateway nodes of one cluster in one jest process: each a real startGateway (its own data folder
 * and HTTP port) on one PostgreSQL, every account an emulator of its own that all nodes connect to.
 * Each node's QR offers are recorded, so a test can prove a takeover restored a login without one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import type { Emulator } from '../../../emulator/index.js';
import { loadConfig, type Config } from '../../../src/config/config.js';
import { startGateway, type Gateway } from '../../../src/gateway.js';
import { DEFAULT_SESSION } from '../../../src/sessions/session-name.js';
import type { SessionRuntime } from '../../../src/sessions/session-runtime.js';
import { waitFor } from './harness.js';

export interface ClusterNode {
  id: string;
  gateway: Gateway;
  /** QRs this node's sessions offered, and whether the node held the session's lease right then. */
  qrs: Array<{ session: string; qr: string; leaseHeld: boolean }>;
  api(): request.Agent;
  /** The sessions whose lease this node holds. */
  held(): string[];
  /** The sessions whose socket on this node is open (logged in). */
  connected(): string[];
  runtime(session: string): SessionRuntime;
  stop(): Promise<void>;
}

export interface NodeOptions {
  id: string;
  /** Without it the node runs embedded (no cluster): how an install looks before switching. */
  databaseUrl?: string;
  /** An existing folder (data, session, uploads) to run on, kept after stop; a new temporary one otherwise. */
  root?: string;
  adminKey: string;
  leaseTtl: string;
  /** Account emulators by session name; `default` is the default session's. */
  emulators: ReadonlyMap<string, Emulator>;
  /** More settings (e.g. SEND_ACK_TIMEOUT), over the ones above. */
  env?: Record<string, string>;
}

export async function startClusterNode(options: NodeOptions): Promise<ClusterNode> {
  const root = options.root ?? (await mkdtemp(path.join(tmpdir(), `wa-cluster-${options.id}-`)));
  const level = process.env.E2E_LOG_LEVEL ?? 'silent';
  const main = options.emulators.get(DEFAULT_SESSION)!;
  const base = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: level,
    BAILEYS_LOG_LEVEL: 'silent',
    API_KEY: options.adminKey,
    WA_WS_URL: main.wsUrl,
    SESSION_DIR: path.join(root, 'session'),
    UPLOAD_DIR: path.join(root, 'uploads'),
    DATA_DIR: path.join(root, 'data'),
    RATE_LIMIT_ENABLED: 'false',
    SHUTDOWN_TIMEOUT: '5',
    RECONNECT_BASE_DELAY_MS: '50',
    RECONNECT_MAX_DELAY_MS: '200',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl, NODE_ID: options.id, LEASE_TTL: options.leaseTtl } : {}),
    ...options.env,
  });
  const config: Config = Object.freeze({ ...base, port: 0 });
  const qrs: ClusterNode['qrs'] = [];
  // Sessions open (and may offer QRs) while startGateway is still running.
  const current: { gateway?: Gateway } = {};
  const watch = (runtime: SessionRuntime) =>
    runtime.transport.events.on('qr', (qr) =>
      qrs.push({ session: runtime.name, qr, leaseHeld: current.gateway?.cluster?.membership.keeper.mayDrive(runtime.name) ?? false }),
    );
  const gateway = await startGateway({
    config,
    logger: pino({ level }).child({ node: options.id }),
    mediaCaPem: main.mediaCaPem,
    queryTimeoutMs: 5000,
    printQr: false,
    endpointFor: async (session) => {
      const emu = options.emulators.get(session);
      if (!emu) throw new Error(`no emulator for session ${session}`);
      return { wsUrl: emu.wsUrl, mediaCaPem: emu.mediaCaPem };
    },
    onSessionOpened: watch,
    exit: () => {},
  });
  watch(gateway.sessions.defaultRuntime);
  const keeper = gateway.cluster?.membership.keeper;
  current.gateway = gateway;
  let stopped: Promise<void> | undefined;
  return {
    id: options.id,
    qrs,
    gateway,
    api: () => request.agent(gateway.url).set('X-API-Key', options.adminKey),
    held: () => (keeper?.heldLeases() ?? []).map((l) => l.session).sort(),
    connected: () =>
      gateway.sessions
        .all()
        .filter((r) => r.transport.status().connected)
        .map((r) => r.name)
        .sort(),
    runtime: (session) => gateway.sessions.get(session)!,
    stop: () =>
      (stopped ??= (async () => {
        await gateway.close();
        if (!options.root) await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      })()),
  };
}

const qrPathOf = (session: string) => (session === DEFAULT_SESSION ? '/api/qr' : `/api/sessions/${session}/qr`);

/** The QR a node offers for a session once it has one (GET …/qr answers 200). */
export function qrOn(node: ClusterNode, session: string, timeoutMs: number): Promise<string> {
  return waitFor(
    async () => {
      const res = await node.api().get(qrPathOf(session));
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    },
    timeoutMs,
    `a QR for ${session} on ${node.id}`,
  );
}

/**
 * Links a session by the QR of whichever node holds its lease when asked, until a node is connected:
 * on a loaded machine a node can self-fence while starting, and its lease (with the QR) moves on, so
 * a QR read from a node fixed in advance may never come or may die before it is scanned. Returns
 * the node that connected and the QR that linked it.
 */
export async function linkOnDriver(
  nodes: readonly ClusterNode[],
  emulator: Emulator,
  session: string,
  boundMs: number,
): Promise<{ owner: ClusterNode; qr: string }> {
  const qrPath = qrPathOf(session);
  const connected = () => nodes.find((n) => n.connected().includes(session));
  return waitFor(
    async () => {
      const qr = await waitFor(
        async () => {
          const driver = nodes.find((n) => n.held().includes(session));
          const res = driver ? await driver.api().get(qrPath) : undefined;
          return res?.status === 200 ? (res.body as { qr: string }).qr : undefined;
        },
        boundMs,
        `a QR for ${session} on its driver`,
      );
      await emulator.scanQr(qr).catch(() => undefined);
      const owner = await waitFor(connected, boundMs, `${session} connected`).catch(() => undefined);
      return owner ? { owner, qr } : undefined;
    },
    3 * boundMs,
    `${session} linked`,
  );
}
