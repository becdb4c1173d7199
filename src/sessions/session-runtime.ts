/**
 * One session's running parts: its own database (credentials, records, outbox, idempotency keys,
 * webhook log, account restriction; in cluster mode all of them are in the shared store, see
 * session-stores.ts), its WhatsApp socket and its services. Every session runs the same wiring; only
 * the folder, the webhook settings, the proxy and the WhatsApp endpoint differ. The media converter is shared
 * (one pool, so sessions share the cores fairly).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { preparerForSession, type MediaPreparer } from '../messaging/media-preparation.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { createServices, type Services } from '../services.js';
import { openDatabase, type SqliteDatabase } from '../store/database.js';
import { contentCipher, type ContentCipher } from '../records/sent-content-cipher.js';
import { createSqliteAuthStore, type AuthStore } from '../whatsapp/baileys/auth-store.js';
import { BaileysTransport } from '../whatsapp/baileys/baileys-transport.js';
import { sessionApiBase } from './session-name.js';
import { embeddedStores, type SessionStores } from './session-stores.js';

export const DATABASE_FILE = 'gateway.db';

/**
 * Where a session's data lives (session-stores.ts), given its name, its own SQLite file and the
 * content cipher. Without one: that SQLite file (embedded, the default).
 */
export type SessionStoresFactory = (session: string, db: SqliteDatabase, cipher: ContentCipher) => Promise<SessionStores>;

/** Where a session's socket connects: WhatsApp, or (sandbox, tests) an emulator with its media CA. */
export interface WhatsAppEndpoint {
  wsUrl: string;
  mediaCaPem?: string;
}

export interface SessionRuntime {
  readonly name: string;
  readonly config: Config;
  readonly db: SqliteDatabase;
  readonly transport: BaileysTransport;
  readonly services: Services;
  /** Requests being served for this session (its deletion waits for them). */
  readonly requests: RequestGauge;
  /** No new outbox sends; the one in flight finishes (first step of shutdown). */
  stopSending(): Promise<void>;
  /** Closes the socket (no logout), then the services, then the database. */
  close(): Promise<void>;
}

/** Counts a session's requests in flight, so it can be deleted without cutting one off. */
export class RequestGauge {
  private count = 0;
  private idle: Array<() => void> = [];

  enter(): () => void {
    this.count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.count === 0) for (const wake of this.idle.splice(0)) wake();
    };
  }

  /** Resolves when no request is in flight, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export interface SessionRuntimeOptions {
  name: string;
  config: Config;
  logger: Logger;
  preparer: MediaPreparer;
  endpoint: WhatsAppEndpoint;
  queryTimeoutMs?: number;
  printQr?: boolean;
  authStore?: AuthStore;
  /** The process's metrics; the session counts into them under its name. */
  metrics?: GatewayMetrics;
  /** Cluster mode: the shared store's repositories for this session. */
  stores?: SessionStoresFactory;
}

/** Opens the session's store and starts its services; the socket starts with `transport.start()`. */
export async function openSessionRuntime(options: SessionRuntimeOptions): Promise<SessionRuntime> {
  const { name, config, logger, endpoint } = options;
  await mkdir(config.dataDir, { recursive: true });
  const db = openDatabase(path.join(config.dataDir, DATABASE_FILE), logger);
  try {
    // Encrypted at rest; the key file (when no MESSAGE_CONTENT_KEY) is made in the data folder. One
    // store for the transport (retry receipts) and the services (replies quoting our own messages).
    const cipher = contentCipher(config);
    const stores = options.stores ? await options.stores(name, db, cipher) : embeddedStores(db, cipher);
    const transport = new BaileysTransport({
      authStore: options.authStore ?? (await createSqliteAuthStore(db, config.sessionDir, logger)),
      waWebSocketUrl: endpoint.wsUrl,
      reconnect: config.reconnect,
      logger,
      baileysLogLevel: config.baileysLogLevel,
      queryTimeoutMs: options.queryTimeoutMs ?? config.waQueryTimeoutMs,
      mediaCaPem: endpoint.mediaCaPem,
      proxy: config.waProxy ?? undefined,
      printQr: options.printQr,
      sendAckTimeoutMs: config.sendAckTimeoutMs,
      groupMetadataTtlMs: config.groupMetadataTtlMs,
      sentContent: stores.sentContent,
      retryCounters: stores.retryCounters,
      polls: stores.polls,
    });
    const services = createServices({
      config,
      db,
      transport,
      preparer: preparerForSession(options.preparer, name),
      logger,
      stores,
      apiBase: sessionApiBase(name),
      metrics: options.metrics?.forSession(name),
    });
    // Cluster mode: the session's driver (the lease holder) recovers and sends; see ClusteredSessions.
    await services.start({ parked: options.stores !== undefined });
    let closed: Promise<void> | undefined;
    return {
      name,
      config,
      db,
      transport,
      services,
      requests: new RequestGauge(),
      stopSending: () => services.stopSending(),
      close: () =>
        (closed ??= (async () => {
          // The outbox stops sending, the socket closes (no logout), and only then do the listeners
          // go: receipts and incoming messages that arrive meanwhile are still recorded.
          await services.stopSending();
          await transport.stop();
          await services.stop();
          // Retry counters written behind (shared store): a failed write costs a counter, not the close.
          await stores.close().catch((error: unknown) => logger.warn({ err: error }, 'retry counters not all written'));
          db.close();
        })()),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
