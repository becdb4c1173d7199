/**
 * Session leases with fencing tokens: at most one node holds a session's lease at any moment of the
 * database's clock, and every acquisition hands out a larger token than any before it for that
 * session. Each operation is ONE conditional SQL statement, so two nodes racing for a session are
 * ordered by the database, never by a read-then-write in the application.
 *
 * Expiry is judged by the database clock (see dbNowMs), so nodes' clocks may disagree. A node id must
 * be unique per process lifetime: a restarted process is a new node and acquires afresh.
 */
import { sql } from 'kysely';
import type { SqlDatabase } from './sql/database.js';
import { dbNowMs } from './sql/dialect.js';

export interface Lease {
  session: string;
  ownerNode: string;
  token: number;
  /** Database-clock epoch ms. Only the database's judgement of it counts; see LeaseKeeper. */
  expiresAt: number;
}

/** A session's lease as the balancer sees it: its live owner, or null when free or expired. */
export interface LeaseHolder {
  session: string;
  owner: string | null;
  token: number;
}

export class LeaseRepository {
  constructor(
    private readonly store: SqlDatabase,
    readonly nodeId: string,
  ) {}

  /**
   * Takes the session if nobody holds it (never leased, released, or expired); the token is one more
   * than the session's last. Returns null when another node (or this one) holds a live lease.
   */
  async acquire(session: string, ttlMs: number): Promise<Lease | null> {
    const now = dbNowMs(this.store.dialect);
    const row = await this.store.db
      .insertInto('session_leases')
      .values({ session, owner_node: this.nodeId, token: 1, expires_at: sql<number>`${now} + ${ttl(ttlMs)}` })
      .onConflict((oc) =>
        oc
          .column('session')
          .doUpdateSet({
            owner_node: this.nodeId,
            token: sql<number>`session_leases.token + 1`,
            expires_at: sql<number>`${now} + ${ttl(ttlMs)}`,
          })
          .where('session_leases.expires_at', '<=', now),
      )
      .returning(['token', 'expires_at'])
      .executeTakeFirst();
    return row ? { session, ownerNode: this.nodeId, token: row.token, expiresAt: row.expires_at } : null;
  }

  /**
   * Extends a live lease held by this node with this token. Returns the new expiry, or null when the
   * lease is lost (expired, released, or taken: the token moved on). An expired lease is never
   * revived, even if nobody took it: the holder may already have stopped driving the session.
   */
  async renew(session: string, token: number, ttlMs: number): Promise<number | null> {
    const now = dbNowMs(this.store.dialect);
    const row = await this.store.db
      .updateTable('session_leases')
      .set({ expires_at: sql<number>`${now} + ${ttl(ttlMs)}` })
      .where('session', '=', session)
      .where('owner_node', '=', this.nodeId)
      .where('token', '=', token)
      .where('expires_at', '>', now)
      .returning('expires_at')
      .executeTakeFirst();
    return row?.expires_at ?? null;
  }

  /** Hands the session over at once (SIGTERM, rebalancing): the next acquire needs no wait. */
  async release(session: string, token: number): Promise<boolean> {
    const result = await this.store.db
      .updateTable('session_leases')
      .set({ expires_at: 0 })
      .where('session', '=', session)
      .where('owner_node', '=', this.nodeId)
      .where('token', '=', token)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The live leases this node holds, by the database's clock. */
  async owned(): Promise<Lease[]> {
    const rows = await this.store.db
      .selectFrom('session_leases')
      .select(['session', 'owner_node', 'token', 'expires_at'])
      .where('owner_node', '=', this.nodeId)
      .where('expires_at', '>', dbNowMs(this.store.dialect))
      .orderBy('session')
      .execute();
    return rows.map((r) => ({ session: r.session, ownerNode: r.owner_node, token: r.token, expiresAt: r.expires_at }));
  }

  /** The node holding the session's live lease other than this one, or null (free, expired, or ours). */
  async holderOf(session: string): Promise<string | null> {
    const row = await this.store.db
      .selectFrom('session_leases')
      .select('owner_node')
      .where('session', '=', session)
      .where('owner_node', '!=', this.nodeId)
      .where('expires_at', '>', dbNowMs(this.store.dialect))
      .executeTakeFirst();
    return row?.owner_node ?? null;
  }

  /** Every session ever leased with its live owner (null when free), for the balancer. */
  async holders(): Promise<LeaseHolder[]> {
    const rows = await this.store.db
      .selectFrom('session_leases')
      .select((eb) => [
        'session',
        'token',
        eb.case().when('expires_at', '>', dbNowMs(this.store.dialect)).then(eb.ref('owner_node')).else(null).end().as('owner'),
      ])
      .orderBy('session')
      .execute();
    return rows.map((r) => ({ session: r.session, owner: r.owner ?? null, token: r.token }));
  }
}

function ttl(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`lease TTL must be a positive integer of ms, got ${ms}`);
  return ms;
}
