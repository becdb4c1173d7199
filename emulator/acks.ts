/**
 * How the emulated server acknowledges the message stanzas a companion sends. By default it acks
 * each one at once, as WhatsApp does; a test can instead make it swallow a stanza (no ack, never
 * delivered), drop the connection after the stanza and before its ack (delivered, ack lost), or
 * answer with an error ack carrying WhatsApp's code (463 reach-out timelock, 479, 421, ...).
 */
import type { BinaryNode } from '@whiskeysockets/baileys';

export type AckAction = 'swallow' | 'drop-connection' | { error: number };

export interface AckRule {
  action: AckAction;
  /** Only stanzas to this recipient (phone digits); any recipient when omitted. */
  to?: string;
  /** How many matching stanzas the rule applies to. Default 1; Infinity until cleared. */
  times?: number;
}

/** Rules in the order they were added; the first one matching a stanza is used up by it. */
export class AckRules {
  private rules: { rule: AckRule; left: number }[] = [];

  add(rule: AckRule): void {
    this.rules.push({ rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The action for a stanza to `recipientPhone` (undefined: a normal ack). Peer stanzas are never touched. */
  take(recipientPhone: string | undefined): AckAction | undefined {
    const entry = this.rules.find(({ rule, left }) => left > 0 && (rule.to === undefined || rule.to === recipientPhone));
    if (!entry) return undefined;
    entry.left--;
    this.rules = this.rules.filter((e) => e.left > 0);
    return entry.rule.action;
  }
}

export function messageAck(id: string, from: string, error?: number): BinaryNode {
  return {
    tag: 'ack',
    attrs: { class: 'message', id, from, t: Math.floor(Date.now() / 1000).toString(), ...(error !== undefined ? { error: String(error) } : {}) },
  };
}

/** Baileys' query id for fetchAccountReachoutTimelock (Types/Mex.js, QueryIds.REACHOUT_TIMELOCK). */
const REACHOUT_TIMELOCK_QUERY = '23983697327930364';

/**
 * The answer to a `w:mex` reach-out timelock query, or undefined for any other iq. `endsAt`
 * undefined: not restricted.
 */
export function reachoutTimelockAnswer(iq: BinaryNode, endsAt: Date | undefined): BinaryNode | undefined {
  if (iq.attrs.xmlns !== 'w:mex' || !Array.isArray(iq.content)) return undefined;
  const query = iq.content.find((node) => node.tag === 'query');
  if (query?.attrs.query_id !== REACHOUT_TIMELOCK_QUERY) return undefined;
  const active = endsAt !== undefined && endsAt.getTime() > Date.now();
  const data = {
    data: {
      xwa2_fetch_account_reachout_timelock: {
        is_active: active,
        time_enforcement_ends: active ? Math.floor(endsAt.getTime() / 1000).toString() : '0',
        enforcement_type: 'DEFAULT',
      },
    },
  };
  return {
    tag: 'iq',
    attrs: { id: iq.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' },
    content: [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify(data)) }],
  };
}
