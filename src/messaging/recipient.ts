/**
 * Who a message goes to. Today one person by phone number; a group is one more member of this
 * union, resolved to its JID in `resolveRecipient` and nowhere else.
 */
import type { NormalisedPhone } from './phone-number.js';

export type Recipient =
  | { kind: 'phone'; phone: NormalisedPhone }
  /** The chat of a message already sent, as its record names it (edits and deletes go there). */
  | { kind: 'chat'; jid: string; phone: string };

export interface ResolvedRecipient {
  /** The JID WhatsApp is given. */
  jid: string;
  /** What the message record keeps as `phone` and the logs show as `to`. */
  phone: string;
}

export function phoneRecipient(phone: NormalisedPhone): Recipient {
  return { kind: 'phone', phone };
}

export function resolveRecipient(recipient: Recipient): ResolvedRecipient {
  switch (recipient.kind) {
    case 'phone':
      return { jid: recipient.phone.jid, phone: recipient.phone.digits };
    case 'chat':
      return { jid: recipient.jid, phone: recipient.phone };
  }
}
