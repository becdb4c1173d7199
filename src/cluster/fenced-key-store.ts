/**
 * Baileys-style credentials and signal keys per session, as opaque bytes, whose writes carry the
 * writer's lease token. A write commits only if, at that moment, the writer's node holds the
 * session's live lease WITH THAT TOKEN; otherwise nothing is written and FencedOffError is thrown.
 * The check and the write are one SQL statement (an INSERT … SELECT joined on the lease row, under a
 * row lock on PostgreSQL), so a stale writer cannot slip a write in after a newer owner took over:
 * every write that succeeds is ordered before the next acquisition of the session.
 *
 * Reads are not fenced: a stale reader harms nobody, and the new owner reads after it acquired.
 * Deletes are written as NULL tombstones so they are fenced the same way; purgeTombstones() drops
 * them (safe at any time from any node: it only removes rows that are still NULL).
 */
import { sql } from 'kysely';
import type { SqlDatabase } from './sql/database.js';
import { bytesParam, dbNowMs, leaseRowLock } from './sql/dialect.js';

/** Type used for the credentials record ('creds'); its id is ''. */
export const CREDS_TYPE = 'creds';

/** Rows per statement: keeps parameters well under SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 500;

export class FencedOffError extends Error {
  constructor(
    readonly session: string,
    readonly nodeId: string,
    readonly token: number,
  ) {
    super(`session ${session}: write refused, node ${nodeId} no longer holds the lease with token ${token}`);
    this.name = 'FencedOffError';
  }
}

export interface KeyWrite {
  type: string;
  id: string;
  /** null deletes the key. */
  value: Buffer | null;
}

/** Baileys' SignalKeyStore shape, over bytes: (de)serialising Baileys' objects is the caller's. */
export interface SessionKeys {
  get(type: string, ids: readonly string[]): Promise<Record<string, Buffer>>;
  set(data: Record<string, Record<string, Buffer | null | undefined>>): Promise<void>;
}

export class FencedKeyStore {
  constructor(
    private readonly store: SqlDatabase,
    readonly nodeId: string,
  ) {}

  /** The session's keys as Baileys asks for them, writing with `token`. */
  forSession(session: string, token: number): SessionKeys {
    return {
      get: (type, ids) => this.get(session, type, ids),
      set: async (data) => {
        const writes: KeyWrite[] = [];
        for (const [type, byId] of Object.entries(data)) {
          for (const [id, value] of Object.entries(byId)) writes.push({ type, id, value: value ?? null });
        }
        await this.write(session, token, writes);
      },
    };
  }

  async get(session: string, type: string, ids: readonly string[]): Promise<Record<string, Buffer>> {
    const found: Record<string, Buffer> = {};
    for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
      const rows = await this.store.db
        .selectFrom('session_keys')
        .select(['id', 'value'])
        .where('session', '=', session)
        .where('type', '=', type)
        .where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT))
        .where('value', 'is not', null)
        .execute();
      for (const row of rows) if (row.value) found[row.id] = Buffer.from(row.value);
    }
    return found;
  }

  /**
   * Writes (and deletes) keys if this node holds the session's live lease with `token`; throws
   * FencedOffError otherwise. A batch over ROWS_PER_STATEMENT rows is several statements, each
   * fenced: if the lease is lost midway, the rest is refused.
   */
  async write(session: string, token: number, writes: readonly KeyWrite[]): Promise<void> {
    // Last write per key wins, as in a Map; PostgreSQL refuses one statement touching a row twice.
    const byKey = new Map<string, KeyWrite>();
    for (const w of writes) byKey.set(`${w.type}\u0000${w.id}`, w);
    const rows = [...byKey.values()];
    if (rows.length === 0) {
      await this.assertHolder(session, token);
      return;
    }
    const dialect = this.store.dialect;
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const values = sql.join(chunk.map((w) => sql`(${w.type}, ${w.id}, ${bytesParam(dialect, w.value)})`));
      const result = await sql<{ written: number }>`
        with v (type, id, value) as (values ${values})
        insert into session_keys (session, type, id, value)
        select l.session, v.type, v.id, v.value
        from session_leases l cross join v
        where l.session = ${session} and l.owner_node = ${this.nodeId} and l.token = ${token}
          and l.expires_at > ${dbNowMs(dialect)}
        ${leaseRowLock(dialect, 'l')}
        on conflict (session, type, id) do update set value = excluded.value
        returning 1 as written`.execute(this.store.db);
      // The join yields every row or none: a partial count cannot happen.
      if (result.rows.length !== chunk.length) throw new FencedOffError(session, this.nodeId, token);
    }
  }

  /**
   * Deletes every credential and key of the session (logout), fenced like a write: the DELETE only
   * matches while the lease row holds this node and token (locked on PostgreSQL).
   */
  async clear(session: string, token: number): Promise<void> {
    const dialect = this.store.dialect;
    const result = await sql`
      delete from session_keys where session = ${session} and exists (
        select 1 from session_leases l
        where l.session = ${session} and l.owner_node = ${this.nodeId} and l.token = ${token}
          and l.expires_at > ${dbNowMs(dialect)}
        ${leaseRowLock(dialect, 'l')})`.execute(this.store.db);
    // Nothing deleted: either there was nothing, or the fence refused; only the latter is an error.
    if (!result.numAffectedRows) await this.assertHolder(session, token);
  }

  /** Removes delete markers; a value written since is not NULL and stays. */
  async purgeTombstones(session: string): Promise<number> {
    const result = await this.store.db.deleteFrom('session_keys').where('session', '=', session).where('value', 'is', null).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async assertHolder(session: string, token: number): Promise<void> {
    const row = await this.store.db
      .selectFrom('session_leases')
      .select('token')
      .where('session', '=', session)
      .where('owner_node', '=', this.nodeId)
      .where('token', '=', token)
      .where('expires_at', '>', dbNowMs(this.store.dialect))
      .executeTakeFirst();
    if (!row) throw new FencedOffError(session, this.nodeId, token);
  }
}
