/**
 * Builds and starts the whole gateway from a validated Config: used by main.ts (production),
 * sandbox.ts and the end-to-end tests, so all three run the same wiring. The default session
 * (the v2.0.0 account, in DATA_DIR itself) opens first; the others follow from its session list.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp, type RouteSpec } from './app.js';
import type { Config } from './config/config.js';
import { createHttpServer } from './http/client-errors.js';
import { createShutdown, type Shutdown } from './lifecycle/shutdown.js';
import { createMediaPreparer } from './media/index.js';
import { sendableKinds, type MediaPreparer } from './messaging/media-preparation.js';
import { createGatewayMetrics } from './metrics/gateway-metrics.js';
import { registerLeaseMetrics } from './metrics/lease-metrics.js';
import type { Services } from './services.js';
import type { SqliteDatabase } from './store/database.js';
import { contentCipher } from './records/sent-content-cipher.js';
import type { ClusteredSessions } from './sessions/clustered-sessions.js';
import { SessionManager } from './sessions/session-manager.js';
import { DEFAULT_SESSION } from './sessions/session-name.js';
import { SqliteSessionRegistry } from './sessions/session-registry.js';
import { openSessionRuntime, type SessionRuntime, type WhatsAppEndpoint } from './sessions/session-runtime.js';
import type { AuthStore } from './whatsapp/baileys/auth-store.js';
import type { BaileysTransport } from './whatsapp/baileys/baileys-transport.js';

export { DATABASE_FILE } from './sessions/session-runtime.js';

/** Conversion output lives beside the uploads, on the same disk, and is swept with them. */
const CONVERSION_DIR = '.converting';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  // Test and sandbox seams.
  /** The emulator's media certificate (sandbox, tests): the only one media uploads then trust. */
  mediaCaPem?: string;
  /**
   * Where each session other than default connects (sandbox, tests: an emulator per account).
   * Without it every session uses WA_WS_URL and `mediaCaPem`.
   */
  endpointFor?: (session: string) => Promise<WhatsAppEndpoint>;
  /** Called with each session other than default once it is open (the sandbox links it). */
  onSessionOpened?: (runtime: SessionRuntime) => void;
  queryTimeoutMs?: number;
  printQr?: boolean;
  /** The default session's credentials (tests). */
  authStore?: AuthStore;
  mediaPreparer?: MediaPreparer;
  extraRoutes?: RouteSpec[];
  exit?: (code: number) => void;
}

export interface Gateway {
  server: Server;
  /** The default session's socket, services and store. */
  transport: BaileysTransport;
  services: Services;
  db: SqliteDatabase;
  sessions: SessionManager;
  /** Cluster mode (DATABASE_URL): this node's leases and membership. */
  cluster?: ClusteredSessions;
  shutdown: Shutdown;
  /** http://host:port the server listens on. */
  url: string;
  /** Closes HTTP and WhatsApp without exiting the process (tests). */
  close(): Promise<void>;
}

/** Upload files are per request; any left in the folder are from a crash and are removed. */
async function sweepUploads(uploadDir: string, logger: Logger): Promise<void> {
  await mkdir(uploadDir, { recursive: true });
  await rm(path.join(uploadDir, CONVERSION_DIR), { recursive: true, force: true });
  const leftovers = (await readdir(uploadDir)).filter((f) => /^[0-9a-f]{32}\.[a-z0-9]+$/.test(f));
  await Promise.all(leftovers.map((f) => rm(path.join(uploadDir, f), { force: true })));
  if (leftovers.length > 0) logger.info({ count: leftovers.length }, 'removed uploads left over from a previous run');
}

function warnAboutConfiguration(config: Config, logger: Logger): void {
  for (const warning of config.warnings) logger.warn(`configuration: ${warning}`);
  if (config.trustProxy === true) {
    logger.warn('TRUST_PROXY=true trusts every X-Forwarded-For hop: only safe behind a proxy that overwrites it');
  }
  if (config.apiKeys.length === 0) {
    logger.warn('API_KEY is not set: the QR and every send endpoint are open to anyone who can reach this port');
  }
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  await sweepUploads(config.uploadDir, logger);
  warnAboutConfiguration(config, logger);

  const preparer =
    options.mediaPreparer ??
    createMediaPreparer({
      tempDir: path.join(config.uploadDir, CONVERSION_DIR),
      concurrency: config.mediaConversion.concurrency,
      timeoutMs: config.mediaConversion.timeoutMs,
      logger,
    });
  const defaultEndpoint: WhatsAppEndpoint = { wsUrl: config.waWebSocketUrl, mediaCaPem: options.mediaCaPem };
  // One registry for the process: every session's series in one GET /metrics, process metrics once.
  const metrics = createGatewayMetrics();
  // Cluster mode: each session's socket runs on the node holding its lease, its data shared. Its
  // code (Kysely, pg, the shared store's repositories) is loaded only then: an embedded gateway
  // would carry it unused from start to shutdown (idle memory, `npm run bench:ceiling`).
  const cluster = config.cluster ? await (await import('./sessions/clustered-sessions.js')).ClusteredSessions.open(config.cluster, logger) : undefined;
  // An install switched to cluster mode: its login and data move into the shared store first.
  await cluster?.importInstallOnce(config).catch(async (error: unknown) => {
    await cluster.leave();
    throw error;
  });
  const runtimeOptions = { preparer, metrics, queryTimeoutMs: options.queryTimeoutMs, printQr: options.printQr, stores: cluster?.stores };
  const defaultRuntime = await openSessionRuntime({
    ...runtimeOptions,
    name: DEFAULT_SESSION,
    config,
    logger,
    endpoint: defaultEndpoint,
    authStore: options.authStore ?? cluster?.authStore(DEFAULT_SESSION, logger),
  }).catch(async (error: unknown) => {
    await cluster?.leave();
    throw error;
  });
  const { transport, services, db } = defaultRuntime;
  const sessions = new SessionManager(
    {
      baseConfig: config,
      registry: cluster ? cluster.registry(contentCipher(config)) : new SqliteSessionRegistry(db, contentCipher(config)),
      logger,
      onOpened: options.onSessionOpened,
      leased: cluster,
      open: async (name, sessionConfig) => {
        const sessionLogger = logger.child({ session: name });
        return openSessionRuntime({
          ...runtimeOptions,
          name,
          config: sessionConfig,
          logger: sessionLogger,
          endpoint: options.endpointFor ? await options.endpointFor(name) : defaultEndpoint,
          authStore: cluster?.authStore(name, sessionLogger),
        });
      },
    },
    defaultRuntime,
  );
  await sessions.openAll().catch(async (error: unknown) => {
    await sessions.closeAll();
    await cluster?.leave();
    throw error;
  });

  // The app asks whether shutdown has begun; the shutdown needs the server the app listens on.
  const lifecycle: { shutdown?: Shutdown } = {};
  const media = preparer.capabilities();
  const app = createApp({
    config,
    transport,
    services,
    sessions,
    media,
    sendable: options.mediaPreparer ? undefined : sendableKinds(media),
    logger,
    extraRoutes: options.extraRoutes,
    isShuttingDown: () => lifecycle.shutdown?.isShuttingDown() ?? false,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    // Node's parser errors (bad framing, oversized heads) are answered as JSON like every other error.
    const s = createHttpServer(app);
    s.once('error', reject);
    s.listen(config.port, config.host, () => resolve(s));
  }).catch(async (error: unknown) => {
    await sessions.closeAll();
    await cluster?.leave();
    throw error;
  });
  // Uploads of 64 MB over a slow line must not be cut by the default 5-minute request timeout.
  server.requestTimeout = 15 * 60 * 1000;
  // A client that reuses a pooled connection just as the server closes it for idleness gets a reset
  // and cannot tell whether its send arrived. Node's 5 s (closed at 6 s) is shorter than most
  // clients' and proxies' own idle limits (nginx 60 s, Go 90 s, curl 118 s), so they lost that race
  // routinely: the idle limit outlasts theirs, and they close first. Announced in Keep-Alive.
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  // What the socket really bound (port 0 becomes a real port; a host name becomes an address).
  const bound =
    typeof address === 'object' && address ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address);

  let closed: Promise<void> | undefined;
  // Every session's outbox stops first, then each closes its socket (no logout), its listeners
  // (receipts that came meanwhile are recorded) and its store. In a cluster the leases are handed
  // over only then, so the node taking a session over never overlaps this one's socket.
  const closeResources = async () => {
    await cluster?.stopTaking();
    await sessions.stopSending();
    await sessions.closeAll();
    await cluster?.leave();
  };
  const shutdown = createShutdown({
    server,
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    // A routed send's answer does not need this node: it is 202 queued at once, and this node's
    // own sessions go to their next owner sooner.
    beforeDrain: () => cluster?.endRoutedWaits(),
    closeResources,
    exit: options.exit,
  });
  lifecycle.shutdown = shutdown;

  logger.info({ address: bound, environment: config.environment, sessions: sessions.all().length }, `WhatsApp gateway listening on ${bound}`);
  const close = () => {
    closed ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closeResources();
    })();
    return closed;
  };
  if (cluster) {
    registerLeaseMetrics(metrics.registry, cluster.membership.keeper, () => sessions.all().map((runtime) => runtime.name));
    // Joining needs the shared store; a node that cannot reach it does not start half way.
    await cluster.start(sessions).catch(async (error: unknown) => {
      await close();
      throw error;
    });
  } else sessions.startSockets();

  return { server, transport, services, db, sessions, cluster, shutdown, url, close };
}
