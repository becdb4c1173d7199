/**
 * What each new Baileys socket is built with: its key store (the session's store behind a cache
 * that lives as long as the socket), the proxy agents, the stored-message lookup and retry
 * counters for retry receipts, and the group metadata cache. BaileysTransport decides when a
 * socket is made; this module only says how.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import NodeCache from '@cacheable/node-cache';
import {
  Browsers,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type CacheStore,
  type SignalKeyStore,
  type UserFacingSocketConfig,
} from '@whiskeysockets/baileys';
import type { ProxyAddress } from '../../proxy/proxy-address.js';
import { webSocketAgent } from '../../proxy/proxy-agents.js';
import type { RetryCounterStore, SentContentStore } from '../sent-content.js';
import type { BaileysLogger } from './baileys-logger.js';
import type { MediaDownloader } from './media-download.js';
import type { MediaUploadAgent } from './media-upload-agent.js';
import { rememberMissingKeys } from './missing-key-memo.js';
import { retryCounterCache, storedMessageLookup } from './retry-receipts.js';

const HISTORY = proto.HistorySync.HistorySyncType;
/** How the device appears under Linked devices; pairing codes also send it, where WhatsApp checks its form. */
export const BROWSER = Browsers.ubuntu('Chrome');

export interface SocketOptionsSettings {
  waWebSocketUrl: string;
  logger: BaileysLogger;
  /** Baileys' timeout for each query to WhatsApp; tests lower it so nothing stalls for a minute. */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** The session's proxy: the WebSocket and Baileys' own fetches go through it too. */
  proxy?: ProxyAddress;
  uploadAgent: MediaUploadAgent;
  /** Its undici agent (behind a proxy) also carries Baileys' history and app-state fetches. */
  downloader: MediaDownloader;
  /** Sent messages' content, for retry receipts (Baileys' getMessage). */
  sentContent?: SentContentStore;
  /** Baileys' per-message retry counters, kept across restarts. */
  retryCounters?: RetryCounterStore;
  /** Group sends take members from this cache instead of one metadata query per send. */
  cachedGroupMetadata: UserFacingSocketConfig['cachedGroupMetadata'];
}

/** The options of one socket, and what must be closed with it. */
export interface BuiltSocketOptions {
  config: UserFacingSocketConfig;
  /** The key store the socket was given (the cache in front of the session's store). */
  keys: SignalKeyStore;
  /** Closes the key cache; call when the socket has ended. */
  close(): void;
}

export class SocketOptions {
  /** One tunnel agent for every socket of the session (ws takes an http agent for ws://, an https one for wss://). */
  private readonly webSocketAgent?: HttpAgent;

  constructor(private readonly settings: SocketOptionsSettings) {
    this.webSocketAgent = settings.proxy ? webSocketAgent(settings.proxy, settings.waWebSocketUrl) : undefined;
  }

  /** `storedKeys`: the session's own key store (SQLite), which the socket reaches through a cache. */
  async build(creds: AuthenticationCreds, storedKeys: SignalKeyStore): Promise<BuiltSocketOptions> {
    const { settings } = this;
    // One key cache per socket, closed with it: Baileys' default cache keeps a timer that nothing
    // clears, one more per reconnect over months of uptime.
    const keyCache = new NodeCache({ stdTTL: 5 * 60, useClones: false, deleteOnExpire: true });
    // Behind a proxy, Baileys' own fetches (history and app-state blobs) take it too, not the direct route.
    const dispatcher = settings.proxy ? await settings.downloader.agent() : undefined;
    const keys = makeCacheableSignalKeyStore(rememberMissingKeys(storedKeys), settings.logger, keyCache as unknown as CacheStore);
    const config: UserFacingSocketConfig = {
      auth: { creds, keys },
      logger: settings.logger,
      waWebSocketUrl: settings.waWebSocketUrl,
      browser: BROWSER,
      // The phone keeps getting notifications while the gateway is linked.
      markOnlineOnConnect: false,
      // A gateway needs no chat history: decline RECENT and FULL syncs, so Baileys goes online at
      // once instead of buffering events while it waits for them. The initial bootstrap sync is
      // still accepted: it carries the LID mappings Baileys needs (without it Baileys warns).
      syncFullHistory: false,
      shouldSyncHistoryMessage: ({ syncType }) => syncType !== HISTORY.RECENT && syncType !== HISTORY.FULL,
      defaultQueryTimeoutMs: settings.queryTimeoutMs ?? 60_000,
      connectTimeoutMs: settings.connectTimeoutMs ?? 20_000,
      // Media uploads only: keep-alive that survives a server's idle cut-off (see MediaUploadAgent).
      fetchAgent: settings.uploadAgent,
      // ws takes an http agent for ws:// and an https one for wss://; Baileys' type names only the latter.
      ...(this.webSocketAgent ? { agent: this.webSocketAgent as HttpsAgent } : {}),
      ...(dispatcher ? { options: { dispatcher } as RequestInit } : {}),
      ...(settings.sentContent ? { getMessage: storedMessageLookup(settings.sentContent, settings.logger) } : {}),
      cachedGroupMetadata: settings.cachedGroupMetadata,
      ...(settings.retryCounters ? { msgRetryCounterCache: retryCounterCache(settings.retryCounters) } : {}),
    };
    return { config, keys, close: () => keyCache.close() };
  }
}
