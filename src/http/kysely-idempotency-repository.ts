/**
 * Idempotency keys in the shared store (SQLite or PostgreSQL through Kysely), one session's keys
 * among many: the same behaviour as SqliteIdempotencyRepository, every query scoped by `session`.
 *
 * The embedded store claims a key with a read and a write inside one IMMEDIATE transaction; on
 * PostgreSQL two concurrent transactions could both read "no key" and both claim it. So here every
 * decision that changes a row is ONE conditional statement (claim: INSERT … ON CONFLICT DO UPDATE
 * WHERE expired; resume: UPDATE … WHERE resumable RETURNING), and the read that follows only
 * reports; if that read finds a row one of those statements should have taken (it changed in
 * between), the round is tried again.
 */
import { sql, type Kysely } from 'kysely';
import { claimedByNoLiveNode } from '../cluster/abandoned-requests.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { IDEMPOTENCY_TTL_MS, type BeginResult, type IdempotencyClaim, type IdempotencyRepository, type StoredResponse } from './idempotency-repository.js';

/** A key that keeps changing under us this often is being hammered; fail rather than spin. */
const MAX_ROUNDS = 10;

export class KyselyIdempotencyRepository implements IdempotencyRepository {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
    /** Cluster mode: this node's id, recorded on every key it claims (src/cluster/abandoned-requests.ts). */
    private readonly claimedBy: string | null = null,
  ) {}

  async begin(claim: IdempotencyClaim, now = Date.now()): Promise<BeginResult> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await this.claim(claim, now)) return 'new';
      const resumed = await this.takeResumable(claim, now);
      if (resumed !== null) return { resume: resumed };
      const row = await this.keys(claim.scope, claim.key)
        .select(['fingerprint', 'message_id', 'resumable', 'state', 'status_code', 'response', 'expires_at'])
        .executeTakeFirst();
      // Released, purged or expired since the claim, or parked since the resume: decide again.
      if (!row || row.expires_at <= now) continue;
      if (row.fingerprint !== claim.fingerprint) return 'conflict';
      if (row.state === 'in_progress' && row.resumable === 1 && row.message_id !== null) continue;
      if (row.state === 'in_progress') return 'in-progress';
      return { replay: { statusCode: row.status_code ?? 200, body: row.response === null ? null : JSON.parse(row.response) } };
    }
    throw new Error(`idempotency key ${claim.scope}/${claim.key} kept changing; gave up after ${MAX_ROUNDS} rounds`);
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ state: 'completed', status_code: response.statusCode, response: JSON.stringify(response.body ?? null) })
      .where('session', '=', this.session)
      .where('scope', '=', scope)
      .where('key', '=', key)
      .execute();
  }

  async release(scope: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('session', '=', this.session)
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .execute();
  }

  async bindMessage(scope: string, key: string, messageId: string): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ message_id: messageId })
      .where('session', '=', this.session)
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .execute();
  }

  async park(scope: string, key: string): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ resumable: 1 })
      .where('session', '=', this.session)
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .where('message_id', 'is not', null)
      .execute();
  }

  /**
   * Keys no live request holds: all in progress on one node (run at start), but in a cluster only
   * those claimed by no live node; another node's request in progress is left alone.
   */
  async recoverInterrupted(): Promise<{ resumable: number; released: number }> {
    const abandoned = claimedByNoLiveNode(this.db);
    return this.db.transaction().execute(async (trx) => {
      const parked = await trx
        .updateTable('idempotency_keys')
        .set({ resumable: 1 })
        .where('session', '=', this.session)
        .where('state', '=', 'in_progress')
        .where('message_id', 'is not', null)
        .where(abandoned)
        .executeTakeFirst();
      const dropped = await trx
        .deleteFrom('idempotency_keys')
        .where('session', '=', this.session)
        .where('state', '=', 'in_progress')
        .where('message_id', 'is', null)
        .where(abandoned)
        .executeTakeFirst();
      return { resumable: Number(parked.numUpdatedRows), released: Number(dropped.numDeletedRows) };
    });
  }

  async purgeExpired(now = Date.now()): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('session', '=', this.session).where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Claims the key when nobody holds it: no row, or an expired one (overwritten as new). One
   * statement, so of two racing claims exactly one gets the row back.
   */
  private async claim(claim: IdempotencyClaim, now: number): Promise<boolean> {
    const row = await this.db
      .insertInto('idempotency_keys')
      .values({
        session: this.session,
        scope: claim.scope,
        key: claim.key,
        fingerprint: claim.fingerprint,
        state: 'in_progress',
        created_at: now,
        expires_at: now + this.ttlMs,
        claimed_by: this.claimedBy,
      })
      .onConflict((oc) =>
        oc
          .columns(['session', 'scope', 'key'])
          .doUpdateSet({
            fingerprint: (eb) => eb.ref('excluded.fingerprint'),
            state: 'in_progress',
            status_code: null,
            response: null,
            message_id: null,
            resumable: 0,
            created_at: (eb) => eb.ref('excluded.created_at'),
            expires_at: (eb) => eb.ref('excluded.expires_at'),
            claimed_by: (eb) => eb.ref('excluded.claimed_by'),
          })
          .where('idempotency_keys.expires_at', '<=', now),
      )
      .returning(sql<number>`1`.as('claimed'))
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Takes a parked request's record for this retry (once: resumable drops back to 0). The key is
   * this node's from now on, so the abandoned-request sweep does not park it again under the retry.
   */
  private async takeResumable(claim: IdempotencyClaim, now: number): Promise<string | null> {
    const row = await this.db
      .updateTable('idempotency_keys')
      .set({ resumable: 0, claimed_by: this.claimedBy })
      .where('session', '=', this.session)
      .where('scope', '=', claim.scope)
      .where('key', '=', claim.key)
      .where('fingerprint', '=', claim.fingerprint)
      .where('expires_at', '>', now)
      .where('state', '=', 'in_progress')
      .where('resumable', '=', 1)
      .where('message_id', 'is not', null)
      .returning('message_id')
      .executeTakeFirst();
    return row?.message_id ?? null;
  }

  private keys(scope: string, key: string) {
    return this.db.selectFrom('idempotency_keys').where('session', '=', this.session).where('scope', '=', scope).where('key', '=', key);
  }
}
