/**
 * Who a message goes to: one person by phone number, a contact WhatsApp names only by LID, or a
 * group. Resolved to its JID in `resolveRecipient` and nowhere else.
 */
import type { NormalisedPhone } from './phone-number.js';

export type Recipient =
  | { kind: 'phone'; phone: NormalisedPhone }
  /** The chat of a message already sent, as its record names it (edits and deletes go there). */
  | { kind: 'chat'; jid: string; phone: string }
  /** A group the account is in: `120363012345678901@g.us`. */
  | { kind: 'group'; jid: string }
  /** A contact known only by its LID (`123456789012345@lid`, as incoming webhooks' `from_lid` give it). */
  | { kind: 'lid'; jid: string };

export interface ResolvedRecipient {
  /** The JID WhatsApp is given. */
  jid: string;
  /**
   * What the message record keeps as `phone` and the logs show as `to`: the digits of a phone, the
   * JID of a group or a LID contact (records show a group's also as `group`).
   */
  phone: string;
}

export function phoneRecipient(phone: NormalisedPhone): Recipient {
  return { kind: 'phone', phone };
}

export function groupRecipient(jid: string): Recipient {
  return { kind: 'group', jid };
}

export function lidRecipient(jid: string): Recipient {
  return { kind: 'lid', jid };
}

export function resolveRecipient(recipient: Recipient): ResolvedRecipient {
  switch (recipient.kind) {
    case 'phone':
      return { jid: recipient.phone.jid, phone: recipient.phone.digits };
    case 'chat':
      return { jid: recipient.jid, phone: recipient.phone };
    case 'group':
    case 'lid':
      return { jid: recipient.jid, phone: recipient.jid };
  }
}

/** Group JIDs end in @g.us: a group is an established chat for pacing and restrictions. */
export function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us');
}
