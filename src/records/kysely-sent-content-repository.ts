/**
 * Sent content and Baileys' retry counters in the shared store (SQLite or PostgreSQL through
 * Kysely), one session's among many: the same answers as SqliteSentContentRepository and
 * SqliteRetryCounterRepository, every query scoped by `session`.
 *
 * Content is sealed as the embedded store seals it, the WhatsApp id as associated data, so rows
 * copied from an embedded install (src/cluster/import-embedded.ts) open with the same key.
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { RetryCounterStore, SentContentStore } from '../whatsapp/sent-content.js';
import { openContent, sealContent, type ContentCipher } from './sent-content-cipher.js';

export class KyselySentContentRepository implements SentContentStore {
  /** Without a cipher content is stored as given (tests, and the purge, which reads nothing). */
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
    private readonly cipher?: ContentCipher,
  ) {}

  async save({ waMessageId, jid, content, at = Date.now() }: { waMessageId: string; jid: string; content: Uint8Array; at?: number }): Promise<void> {
    const sealed = sealContent(this.cipher, content, waMessageId);
    // A resend under the same id replaces the content with what was sent last (created_at stays).
    await this.db
      .insertInto('sent_content')
      .values({ session: this.session, wa_message_id: waMessageId, jid, content: sealed, created_at: at })
      .onConflict((oc) => oc.columns(['session', 'wa_message_id']).doUpdateSet((eb) => ({ jid: eb.ref('excluded.jid'), content: eb.ref('excluded.content') })))
      .execute();
  }

  async find(waMessageId: string): Promise<Uint8Array | undefined> {
    const row = await this.db
      .selectFrom('sent_content')
      .select('content')
      .where('session', '=', this.session)
      .where('wa_message_id', '=', waMessageId)
      .executeTakeFirst();
    return row ? openContent(this.cipher, row.content, waMessageId) : undefined;
  }

  /** Deletes content kept since before `before` (epoch ms); returns how many. */
  async purgeBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('sent_content').where('session', '=', this.session).where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * Baileys reads and writes its retry counters synchronously (CacheStore), and a server database
 * cannot answer synchronously. Only the node holding the session's lease drives it, so that node's
 * memory is the truth while it does: `load` reads the session's live counters once, reads are
 * answered from memory, and every change is written behind, in order. `flush` waits for the writes
 * (and throws the first that failed); a lost write costs at most a counter restarting from zero
 * after a takeover, which Baileys tolerates (it only bounds re-sends).
 */
export class KyselyRetryCounterRepository implements RetryCounterStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  static async load(db: Kysely<StoreSchema>, session: string, ttlMs: number, now: () => number = Date.now): Promise<KyselyRetryCounterRepository> {
    const repo = new KyselyRetryCounterRepository(db, session, ttlMs, now);
    const rows = await db
      .selectFrom('retry_counters')
      .select(['key', 'value', 'expires_at'])
      .where('session', '=', session)
      .where('expires_at', '>', now())
      .execute();
    for (const row of rows) repo.entries.set(row.key, { value: row.value, expiresAt: row.expires_at });
    return repo;
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    return JSON.parse(entry.value) as T;
  }

  set<T>(key: string, value: T): void {
    const entry = { value: JSON.stringify(value ?? null), expiresAt: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    this.writeBehind(async () => {
      await this.db
        .insertInto('retry_counters')
        .values({ session: this.session, key, value: entry.value, expires_at: entry.expiresAt })
        .onConflict((oc) => oc.columns(['session', 'key']).doUpdateSet({ value: entry.value, expires_at: entry.expiresAt }))
        .execute();
    });
  }

  del(key: string): void {
    this.entries.delete(key);
    this.writeBehind(async () => {
      await this.db.deleteFrom('retry_counters').where('session', '=', this.session).where('key', '=', key).execute();
    });
  }

  flushAll(): void {
    this.entries.clear();
    this.writeBehind(async () => {
      await this.db.deleteFrom('retry_counters').where('session', '=', this.session).execute();
    });
  }

  /** Deletes the session's expired counters (in memory and stored); returns how many were stored. */
  async purgeExpired(): Promise<number> {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // After the writes already queued, so a counter set before the purge is judged as written.
    await this.flush();
    const result = await this.db.deleteFrom('retry_counters').where('session', '=', this.session).where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Waits for every change made so far to be written; throws the first write that failed. */
  async flush(): Promise<void> {
    await this.writes;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  private writeBehind(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((error: unknown) => {
      this.failure ??= error;
    });
  }
}
