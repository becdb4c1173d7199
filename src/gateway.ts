/**
 * Builds and starts the whole gateway from a validated Config: used by main.ts (production),
 * sandbox.ts and the end-to-end tests, so all three run the same wiring.
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
import { createServices, type Services } from './services.js';
import { SqlitePollRepository } from './kinds/poll-repository.js';
import { openDatabase, type SqliteDatabase } from './store/database.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from './records/sent-content-repository.js';
import { contentCipher } from './records/sent-content-cipher.js';
import { createSqliteAuthStore, type AuthStore } from './whatsapp/baileys/auth-store.js';
import { BaileysTransport } from './whatsapp/baileys/baileys-transport.js';

/** Conversion output lives beside the uploads, on the same disk, and is swept with them. */
const CONVERSION_DIR = '.converting';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  // Test and sandbox seams.
  /** The emulator's media certificate (sandbox, tests): the only one media uploads then trust. */
  mediaCaPem?: string;
  queryTimeoutMs?: number;
  printQr?: boolean;
  authStore?: AuthStore;
  mediaPreparer?: MediaPreparer;
  extraRoutes?: RouteSpec[];
  exit?: (code: number) => void;
}

export interface Gateway {
  server: Server;
  transport: BaileysTransport;
  services: Services;
  db: SqliteDatabase;
  shutdown: Shutdown;
  /** http://host:port the server listens on. */
  url: string;
  /** Closes HTTP and WhatsApp without exiting the process (tests). */
  close(): Promise<void>;
}

export const DATABASE_FILE = 'gateway.db';
/** Baileys' own retry counter cache forgets after an hour; ours too, but across restarts. */
const RETRY_COUNTER_TTL_MS = 60 * 60 * 1000;

/** Upload files are per request; any left in the folder are from a crash and are removed. */
async function sweepUploads(uploadDir: string, logger: Logger): Promise<void> {
  await mkdir(uploadDir, { recursive: true });
  await rm(path.join(uploadDir, CONVERSION_DIR), { recursive: true, force: true });
  const leftovers = (await readdir(uploadDir)).filter((f) => /^[0-9a-f]{32}\.[a-z0-9]+$/.test(f));
  await Promise.all(leftovers.map((f) => rm(path.join(uploadDir, f), { force: true })));
  if (leftovers.length > 0) logger.info({ count: leftovers.length }, 'removed uploads left over from a previous run');
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  await sweepUploads(config.uploadDir, logger);
  for (const warning of config.warnings) logger.warn(`configuration: ${warning}`);
  if (config.trustProxy === true) {
    logger.warn('TRUST_PROXY=true trusts every X-Forwarded-For hop: only safe behind a proxy that overwrites it');
  }
  if (config.apiKeys.length === 0) {
    logger.warn('API_KEY is not set: the QR and every send endpoint are open to anyone who can reach this port');
  }

  await mkdir(config.dataDir, { recursive: true });
  const db = openDatabase(path.join(config.dataDir, DATABASE_FILE), logger);
  // Encrypted at rest; the key file (when no MESSAGE_CONTENT_KEY) is made in the data folder. One
  // store for the transport (retry receipts) and the services (replies quoting our own messages).
  const sentContent = new SqliteSentContentRepository(db, contentCipher(config));
  const transport = new BaileysTransport({
    authStore: options.authStore ?? (await createSqliteAuthStore(db, config.sessionDir, logger)),
    waWebSocketUrl: config.waWebSocketUrl,
    reconnect: config.reconnect,
    logger,
    baileysLogLevel: config.baileysLogLevel,
    queryTimeoutMs: options.queryTimeoutMs ?? config.waQueryTimeoutMs,
    mediaCaPem: options.mediaCaPem,
    printQr: options.printQr,
    sendAckTimeoutMs: config.sendAckTimeoutMs,
    groupMetadataTtlMs: config.groupMetadataTtlMs,
    sentContent,
    retryCounters: new SqliteRetryCounterRepository(db, RETRY_COUNTER_TTL_MS),
    polls: new SqlitePollRepository(db),
  });

  // The app asks whether shutdown has begun; the shutdown needs the server the app listens on.
  const lifecycle: { shutdown?: Shutdown } = {};
  const preparer =
    options.mediaPreparer ??
    createMediaPreparer({
      tempDir: path.join(config.uploadDir, CONVERSION_DIR),
      concurrency: config.mediaConversion.concurrency,
      timeoutMs: config.mediaConversion.timeoutMs,
      logger,
    });
  const media = preparer.capabilities();
  const services = createServices({ config, db, transport, preparer, logger, sentContent });
  await services.start();
  const app = createApp({
    config,
    transport,
    services,
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
  });
  // Uploads of 64 MB over a slow line must not be cut by the default 5-minute request timeout.
  server.requestTimeout = 15 * 60 * 1000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  // What the socket really bound (port 0 becomes a real port; a host name becomes an address).
  const bound =
    typeof address === 'object' && address ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address);

  let closed: Promise<void> | undefined;
  const closeResources = async () => {
    // The outbox stops sending, the socket closes (no logout), and only then do the listeners go:
    // receipts and incoming messages that arrive meanwhile are still recorded. The store closes last.
    await services.stopSending();
    await transport.stop();
    await services.stop();
    db.close();
  };
  const shutdown = createShutdown({ server, logger, timeoutMs: config.shutdownTimeoutMs, closeResources, exit: options.exit });
  lifecycle.shutdown = shutdown;

  logger.info({ address: bound, environment: config.environment }, `WhatsApp gateway listening on ${bound}`);
  transport.start();

  return {
    server,
    transport,
    services,
    db,
    shutdown,
    url,
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await closeResources();
      })();
      return closed;
    },
  };
}
