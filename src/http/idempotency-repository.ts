/**
 * Idempotency keys: a send repeated with the same `Idempotency-Key` within the retention window
 * gets the first response back and sends nothing; the same key with a different request is a
 * conflict. The key is claimed (in_progress) before the send, so two concurrent retries cannot
 * both send.
 */
import { createHash } from 'node:crypto';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

/**
 * 'new': the caller owns the key. `resume`: the caller owns the key, and an earlier attempt of the
 * same request created message record `messageId` whose outcome is unknown: continue it, never
 * start another message.
 */
export type BeginResult = 'new' | 'conflict' | 'in-progress' | { replay: StoredResponse } | { resume: string };

export interface IdempotencyClaim {
  /** Keys live per client (e.g. a hash of the API key), so two clients cannot collide. */
  scope: string;
  key: string;
  fingerprint: string;
}

export interface IdempotencyRepository {
  /**
   * 'new': the caller owns the key and must `complete` or `release` it. 'in-progress': the first
   * request is still running, or a crash interrupted it — its outcome is unknown, so it is never
   * re-run under the same key.
   */
  begin(claim: IdempotencyClaim, now?: number): Promise<BeginResult>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Frees a claimed key whose request ended before anything was sent (validation error). */
  release(scope: string, key: string): Promise<void>;
  /** Ties the claimed key to the message record its request created (before anything is sent). */
  bindMessage(scope: string, key: string, messageId: string): Promise<void>;
  /** The request ended with an unknown outcome: the next retry with this key resumes its record. */
  park(scope: string, key: string): Promise<void>;
  /**
   * At start-up, keys a crash left in progress: those bound to a record become resumable (the
   * retry replays or finishes that message), the others are released (nothing was sent). Returns
   * how many of each.
   */
  recoverInterrupted(): Promise<{ resumable: number; released: number }>;
  purgeExpired(now?: number): Promise<number>;
}

export interface RequestFingerprintInput {
  method: string;
  path: string;
  /** Body fields; key order does not matter. */
  fields: Record<string, unknown>;
  /** SHA-256 hex of the uploaded file, when there is one. */
  fileSha256?: string | null;
}

/** A stable hash of what makes two requests "the same request". */
export function requestFingerprint(input: RequestFingerprintInput): string {
  const fields = Object.fromEntries(Object.entries(input.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const canonical = JSON.stringify([input.method.toUpperCase(), input.path, fields, input.fileSha256 ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

interface KeyRow {
  fingerprint: string;
  message_id: string | null;
  resumable: number;
  state: 'in_progress' | 'completed';
  status_code: number | null;
  response: string | null;
  expires_at: number;
}

export class SqliteIdempotencyRepository implements IdempotencyRepository {
  private readonly sql: StatementCache;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
  ) {
    this.sql = new StatementCache(db);
  }

  async begin(claim: IdempotencyClaim, now = Date.now()): Promise<BeginResult> {
    return this.db
      .transaction((): BeginResult => {
        const row = this.sql
          .prepare('SELECT fingerprint, message_id, resumable, state, status_code, response, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?')
          .get(claim.scope, claim.key) as KeyRow | undefined;
        if (row && row.expires_at > now) {
          if (row.fingerprint !== claim.fingerprint) return 'conflict';
          if (row.state === 'in_progress' && row.resumable === 1 && row.message_id !== null) {
            this.db.prepare('UPDATE idempotency_keys SET resumable = 0 WHERE scope = ? AND key = ?').run(claim.scope, claim.key);
            return { resume: row.message_id };
          }
          if (row.state === 'in_progress') return 'in-progress';
          return { replay: { statusCode: row.status_code ?? 200, body: row.response === null ? null : JSON.parse(row.response) } };
        }
        this.sql
          .prepare(
            `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?)
             ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_progress', status_code = NULL,
               response = NULL, message_id = NULL, resumable = 0, created_at = excluded.created_at, expires_at = excluded.expires_at`,
          )
          .run(claim.scope, claim.key, claim.fingerprint, now, now + this.ttlMs);
        return 'new';
      })
      .immediate();
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    this.sql
      .prepare("UPDATE idempotency_keys SET state = 'completed', status_code = ?, response = ? WHERE scope = ? AND key = ?")
      .run(response.statusCode, JSON.stringify(response.body ?? null), scope, key);
  }

  async release(scope: string, key: string): Promise<void> {
    this.sql.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'in_progress'").run(scope, key);
  }

  async bindMessage(scope: string, key: string, messageId: string): Promise<void> {
    this.sql.prepare("UPDATE idempotency_keys SET message_id = ? WHERE scope = ? AND key = ? AND state = 'in_progress'").run(messageId, scope, key);
  }

  async park(scope: string, key: string): Promise<void> {
    this.sql
      .prepare("UPDATE idempotency_keys SET resumable = 1 WHERE scope = ? AND key = ? AND state = 'in_progress' AND message_id IS NOT NULL")
      .run(scope, key);
  }

  async recoverInterrupted(): Promise<{ resumable: number; released: number }> {
    return this.db
      .transaction(() => ({
        resumable: this.db.prepare("UPDATE idempotency_keys SET resumable = 1 WHERE state = 'in_progress' AND message_id IS NOT NULL").run().changes,
        released: this.db.prepare("DELETE FROM idempotency_keys WHERE state = 'in_progress' AND message_id IS NULL").run().changes,
      }))
      .immediate();
  }

  async purgeExpired(now = Date.now()): Promise<number> {
    return this.sql.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now).changes;
  }
}
