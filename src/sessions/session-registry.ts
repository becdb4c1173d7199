/**
 * The list of sessions besides `default`. Embedded: in the default session's database (table
 * `sessions`, migration 7). Shared store: one `sessions` table for every node
 * (kysely-session-registry.ts). Secrets are sealed as session-secrets.ts says.
 */
import type { ProxyAddress } from '../proxy/proxy-address.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import type { SqliteDatabase } from '../store/database.js';
import { openSession, sealSession, type StoredSession } from './session-secrets.js';

export interface SessionSettings {
  name: string;
  /** This session's own webhook; null = the global WEBHOOK_URL and WEBHOOK_SECRET. */
  webhook: { url: string; secret: string } | null;
  /** Its WebSocket and media go through this proxy; null = direct (WA_PROXY_URL is default's only). */
  proxy: ProxyAddress | null;
  createdAt: Date;
}

export type ListedSession = SessionSettings & { keyHash: Buffer };

/**
 * Either store's session list. The embedded one answers synchronously (better-sqlite3), the shared
 * one with promises; callers await, which serves both.
 */
export interface SessionRegistry {
  /** False when a session of that name exists already. */
  add(settings: SessionSettings, keyHash: Buffer): boolean | Promise<boolean>;
  remove(name: string): boolean | Promise<boolean>;
  /**
   * Every session whose settings can be read, by name. A row whose secrets do not open (the content
   * key changed, the row was altered) is reported to `unreadable` and left out, so it cannot keep
   * the other sessions from starting.
   */
  list(unreadable?: (name: string, error: unknown) => void): ListedSession[] | Promise<ListedSession[]>;
}

export class SqliteSessionRegistry implements SessionRegistry {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly cipher: ContentCipher,
  ) {}

  add(settings: SessionSettings, keyHash: Buffer): boolean {
    const row = sealSession(this.cipher, settings, keyHash);
    const result = this.db
      .prepare(
        `INSERT INTO sessions (name, key_hash, webhook_url, webhook_secret, proxy_url, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING`,
      )
      .run(row.name, row.key_hash, row.webhook_url, row.webhook_secret, row.proxy_url, row.created_at);
    return result.changes === 1;
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE name = ?').run(name).changes === 1;
  }

  list(unreadable: (name: string, error: unknown) => void = () => {}): ListedSession[] {
    return openReadable(this.cipher, this.db.prepare('SELECT * FROM sessions ORDER BY name').all() as StoredSession[], unreadable);
  }
}

export function openReadable(cipher: ContentCipher, rows: StoredSession[], unreadable: (name: string, error: unknown) => void): ListedSession[] {
  return rows.flatMap((row) => {
    try {
      return [openSession(cipher, row)];
    } catch (error) {
      unreadable(row.name, error);
      return [];
    }
  });
}
