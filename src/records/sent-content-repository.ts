/**
 * The content of messages we sent (the adapter's protobuf bytes), kept for
 * MESSAGE_CONTENT_RETENTION so retry receipts can be answered after a restart, and Baileys' retry
 * counters, kept so a storm of retry receipts stays bounded across restarts.
 */
import type { RetryCounterStore, SentContentStore } from '../whatsapp/sent-content.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store/database.js';
import { openContent, sealContent, type ContentCipher } from './sent-content-cipher.js';

export class SqliteSentContentRepository implements SentContentStore {
  // Every send saves its content: the statements are compiled once, on first use, not per call.
  private saveStatement?: Statement;
  private findStatement?: Statement;

  /** Without a cipher content is stored as given (tests, and the purge, which reads nothing). */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly cipher?: ContentCipher,
  ) {}

  async save({ waMessageId, jid, content, at = Date.now() }: { waMessageId: string; jid: string; content: Uint8Array; at?: number }): Promise<void> {
    // A resend under the same id replaces the content with what was sent last.
    this.saveStatement ??= this.db.prepare(
      'INSERT INTO sent_content (wa_message_id, jid, content, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (wa_message_id) DO UPDATE SET jid = excluded.jid, content = excluded.content',
    );
    this.saveStatement.run(waMessageId, jid, sealContent(this.cipher, content, waMessageId), at);
  }

  async find(waMessageId: string): Promise<Uint8Array | undefined> {
    this.findStatement ??= this.db.prepare('SELECT content FROM sent_content WHERE wa_message_id = ?');
    const row = this.findStatement.get(waMessageId) as { content: Buffer } | undefined;
    return row ? openContent(this.cipher, row.content, waMessageId) : undefined;
  }

  /** Deletes content kept since before `before` (epoch ms); returns how many. */
  async purgeBefore(before: number): Promise<number> {
    return this.db.prepare('DELETE FROM sent_content WHERE created_at < ?').run(before).changes;
  }
}

/** Baileys reads these synchronously (CacheStore); better-sqlite3 is synchronous, so nothing is lost. */
export class SqliteRetryCounterRepository implements RetryCounterStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM retry_counters WHERE key = ? AND expires_at > ?').get(key, this.now()) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set<T>(key: string, value: T): void {
    this.db
      .prepare(
        'INSERT INTO retry_counters (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      )
      .run(key, JSON.stringify(value ?? null), this.now() + this.ttlMs);
  }

  del(key: string): void {
    this.db.prepare('DELETE FROM retry_counters WHERE key = ?').run(key);
  }

  flushAll(): void {
    this.db.prepare('DELETE FROM retry_counters').run();
  }

  purgeExpired(): number {
    return this.db.prepare('DELETE FROM retry_counters WHERE expires_at <= ?').run(this.now()).changes;
  }
}
