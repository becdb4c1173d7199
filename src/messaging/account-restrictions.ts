/**
 * A restriction WhatsApp put on the account (463, the reach-out timelock): until it ends, messages
 * to contacts we have never messaged would each count as another "reach out" and worsen it, so
 * they wait (outbox) or are refused (no outbox); established chats go on. Kept in the store, so a
 * restart does not forget it: the session's SQLite file, or in cluster mode the shared store, so
 * every node reports the restriction the driving node saw (restriction-store.ts).
 */
import { Errors } from '../errors/app-error.js';
import type { SqliteDatabase } from '../store/database.js';
import type { AccountRestriction } from '../whatsapp/account-restriction.js';
import { isGroupJid } from './recipient.js';
import type { ActiveRestriction } from './restriction.js';
import { SqliteRestrictionStore, type RestrictionStore } from './restriction-store.js';

/** When WhatsApp does not say when the timelock ends, the gateway assumes this long. */
export const DEFAULT_RESTRICTION_MS = 24 * 60 * 60 * 1000;

export type { ActiveRestriction } from './restriction.js';

export class AccountRestrictions {
  private readonly store: RestrictionStore;

  /** `source`: the session's SQLite file (embedded), or the shared store's copy (cluster mode). */
  constructor(
    source: SqliteDatabase | RestrictionStore,
    private readonly now: () => number = Date.now,
  ) {
    this.store = 'read' in source && 'established' in source ? source : new SqliteRestrictionStore(source);
  }

  /** Cluster mode: what the session's driver stored since (another node's restriction). */
  async refresh(): Promise<void> {
    await this.store.refresh?.();
  }

  /** Records a restriction reported by the transport; returns what is now in force. */
  restrict(report: AccountRestriction): ActiveRestriction {
    const since = Date.parse(report.at) || this.now();
    const until = report.until ? Date.parse(report.until) : since + DEFAULT_RESTRICTION_MS;
    const active: ActiveRestriction = {
      code: report.code,
      reason: report.reason,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      untilFromWhatsApp: report.until !== undefined,
    };
    this.store.write(active);
    return active;
  }

  /** The restriction in force now, or null. */
  current(): ActiveRestriction | null {
    const active = this.store.read();
    return active && Date.parse(active.until) > this.now() ? active : null;
  }

  /** Have we ever got a message to this chat past WhatsApp's server? Then it is established. */
  isEstablished(jid: string): boolean {
    // A group the account is in is no reach-out to a new contact.
    if (isGroupJid(jid)) return true;
    return this.store.established(jid);
  }

  /** Epoch ms until which sends to `jid` must wait, or null when they may go now. */
  heldUntil(jid: string): number | null {
    const active = this.current();
    if (!active || this.isEstablished(jid)) return null;
    return Date.parse(active.until);
  }

  /** Without the outbox, a send to a new contact during the restriction is refused, never tried. */
  assertMaySend(jid: string): void {
    const until = this.heldUntil(jid);
    if (until === null) return;
    const active = this.current()!;
    throw Errors.accountRestricted(active.code, active.reason, active.until, Math.max(1, Math.ceil((until - this.now()) / 1000)));
  }
}
