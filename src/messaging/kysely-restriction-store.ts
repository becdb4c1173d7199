/**
 * A session's account restriction in the shared store (cluster mode), one row per session, so the
 * restriction the driving node saw is what every node reports. The answers stay synchronous (see
 * RestrictionStore): the row is read when the session opens and again on refresh() (another node
 * wrote it: a NOTIFY, or the balancing round), and a write is kept in memory at once and stored
 * behind (flush() waits for it).
 *
 * Established chats (sends to them go on during a restriction) are the recipients of this
 * session's sent records, read with the restriction while one is in force (none is needed
 * otherwise) and again when one is written (its `watch` listeners are called then: a send held
 * meanwhile may go).
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { ActiveRestriction } from './restriction.js';
import type { RestrictionStore } from './restriction-store.js';

export interface KyselyRestrictionOptions {
  /** After a write is stored: tell the other nodes (a NOTIFY), so they refresh at once. */
  onWritten?: () => Promise<void>;
}

/** A restriction as its `account_restrictions` row (times in epoch ms). */
export function restrictionRow(session: string, active: ActiveRestriction) {
  return {
    session,
    code: active.code,
    reason: active.reason,
    since: Date.parse(active.since),
    until: Date.parse(active.until),
    until_from_whatsapp: active.untilFromWhatsApp ? 1 : 0,
  };
}

export class KyselyRestrictionStore implements RestrictionStore {
  private stored: ActiveRestriction | null = null;
  private establishedChats = new Set<string>();
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly listeners: Array<() => void> = [];

  private constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
    private readonly options: KyselyRestrictionOptions,
  ) {}

  static async load(db: Kysely<StoreSchema>, session: string, options: KyselyRestrictionOptions = {}): Promise<KyselyRestrictionStore> {
    const store = new KyselyRestrictionStore(db, session, options);
    await store.refresh();
    return store;
  }

  read(): ActiveRestriction | null {
    return this.stored;
  }

  write(active: ActiveRestriction): void {
    this.stored = active;
    const row = restrictionRow(this.session, active);
    const { session: _key, ...changes } = row;
    this.pending = this.pending.then(async () => {
      try {
        await this.db
          .insertInto('account_restrictions')
          .values(row)
          .onConflict((oc) => oc.column('session').doUpdateSet(changes))
          .execute();
        await this.options.onWritten?.();
        await this.readEstablished();
        for (const listener of this.listeners) listener();
      } catch (error) {
        this.failure ??= error;
      }
    });
  }

  watch(listener: () => void): void {
    this.listeners.push(listener);
  }

  established(jid: string): boolean {
    return this.establishedChats.has(jid);
  }

  async refresh(): Promise<void> {
    const row = await this.db
      .selectFrom('account_restrictions')
      .select(['code', 'reason', 'since', 'until', 'until_from_whatsapp'])
      .where('session', '=', this.session)
      .executeTakeFirst();
    this.stored = row
      ? {
          code: row.code,
          reason: row.reason,
          since: new Date(Number(row.since)).toISOString(),
          until: new Date(Number(row.until)).toISOString(),
          untilFromWhatsApp: row.until_from_whatsapp === 1,
        }
      : null;
    if (this.stored && Date.parse(this.stored.until) > Date.now()) await this.readEstablished();
  }

  async flush(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  private async readEstablished(): Promise<void> {
    const rows = await this.db
      .selectFrom('messages')
      .select('jid')
      .distinct()
      .where('session', '=', this.session)
      .where('status', 'in', ['sent', 'delivered', 'read'])
      .execute();
    this.establishedChats = new Set(rows.map((r) => r.jid));
  }
}
