/**
 * A restriction WhatsApp put on the account (463, the reach-out timelock): until it ends, messages
 * to contacts we have never messaged would each count as another "reach out" and worsen it, so
 * they wait (outbox) or are refused (no outbox); established chats go on. Kept in the store, so a
 * restart does not forget it.
 */
import { Errors } from '../errors/app-error.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import type { AccountRestriction } from '../whatsapp/account-restriction.js';
import { isGroupJid } from './recipient.js';

/** When WhatsApp does not say when the timelock ends, the gateway assumes this long. */
export const DEFAULT_RESTRICTION_MS = 24 * 60 * 60 * 1000;

export interface ActiveRestriction {
  code: number;
  reason: string;
  since: string;
  until: string;
  /** False when WhatsApp did not say when it ends and `until` is the gateway's assumption. */
  untilFromWhatsApp: boolean;
}

const META_KEY = 'account_restriction';

export class AccountRestrictions {
  private readonly statements: StatementCache;
  /**
   * The stored restriction, read once: every send and every /api/status asks for it, and only
   * `restrict` changes it (undefined = not read yet, null = none stored).
   */
  private stored: ActiveRestriction | null | undefined;

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.statements = new StatementCache(db);
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
    this.statements
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(META_KEY, JSON.stringify(active));
    this.stored = active;
    return active;
  }

  /** The restriction in force now, or null. */
  current(): ActiveRestriction | null {
    if (this.stored === undefined) {
      const row = this.statements.prepare('SELECT value FROM meta WHERE key = ?').get(META_KEY) as { value: string } | undefined;
      this.stored = row ? (JSON.parse(row.value) as ActiveRestriction) : null;
    }
    const active = this.stored;
    return active && Date.parse(active.until) > this.now() ? active : null;
  }

  /** Have we ever got a message to this chat past WhatsApp's server? Then it is established. */
  isEstablished(jid: string): boolean {
    // A group the account is in is no reach-out to a new contact.
    if (isGroupJid(jid)) return true;
    return this.statements.prepare("SELECT 1 FROM messages WHERE jid = ? AND status IN ('sent', 'delivered', 'read') LIMIT 1").get(jid) !== undefined;
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
