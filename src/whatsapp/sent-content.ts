/**
 * The content of messages we sent, kept so a recipient device that could not decrypt one (a retry
 * receipt) can be answered after a restart or long after Baileys' in-memory cache forgot it.
 * Content is the adapter's own encoding (opaque bytes here).
 */
export interface SentContentStore {
  save(entry: { waMessageId: string; jid: string; content: Uint8Array; at?: number }): Promise<void>;
  /** By WhatsApp id alone: a retry names the chat by phone or by LID, the id is the same. */
  find(waMessageId: string): Promise<Uint8Array | undefined>;
}

/** The counters Baileys keeps per retried message (msgRetryCounterCache), persisted so a storm stays bounded across restarts. */
export interface RetryCounterStore {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
  del(key: string): void;
  flushAll(): void;
}
