/**
 * Where a session's account restriction is kept, and which chats count as established. Every
 * answer is synchronous (each send and each /api/status asks), so the shared store's version keeps a
 * copy in memory (kysely-restriction-store.ts); the embedded one reads its own SQLite file.
 */
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import type { ActiveRestriction } from './restriction.js';

export interface RestrictionStore {
  /** The stored restriction (ended or not), or null. */
  read(): ActiveRestriction | null;
  /** Stores the restriction now in force (the shared store writes it behind; see flush). */
  write(active: ActiveRestriction): void;
  /** Have we ever got a message to this chat past WhatsApp's server? */
  established(jid: string): boolean;
  /** Cluster mode: reads again what another node (the session's driver) may have written. */
  refresh?(): Promise<void>;
  /** Calls `listener` when the established chats were read again (a held send may go now). */
  watch?(listener: () => void): void;
  /** Waits for writes still on their way (the shared store); throws the first that failed. */
  flush?(): Promise<void>;
}

/** The embedded store's `meta` row holding the restriction (also read by the import into the shared store). */
export const RESTRICTION_META_KEY = 'account_restriction';

/** The session's own SQLite file: the `meta` row and its `messages` table, as the gateway always kept them. */
export class SqliteRestrictionStore implements RestrictionStore {
  private readonly statements: StatementCache;
  /** Read once: only write() changes it (undefined = not read yet). */
  private stored: ActiveRestriction | null | undefined;

  constructor(db: SqliteDatabase) {
    this.statements = new StatementCache(db);
  }

  read(): ActiveRestriction | null {
    if (this.stored === undefined) {
      const row = this.statements.prepare('SELECT value FROM meta WHERE key = ?').get(RESTRICTION_META_KEY) as { value: string } | undefined;
      this.stored = row ? (JSON.parse(row.value) as ActiveRestriction) : null;
    }
    return this.stored;
  }

  write(active: ActiveRestriction): void {
    this.statements
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(RESTRICTION_META_KEY, JSON.stringify(active));
    this.stored = active;
  }

  established(jid: string): boolean {
    return this.statements.prepare("SELECT 1 FROM messages WHERE jid = ? AND status IN ('sent', 'delivered', 'read') LIMIT 1").get(jid) !== undefined;
  }
}
