/**
 * vCard 3.0 (RFC 2426) for a contact card, as WhatsApp's phones write them: the TEL carries
 * `waid=<digits>`, which is what makes the card's "Message" button open a WhatsApp chat.
 */

export interface ContactCard {
  name: string;
  /** International digits. */
  phone: string;
  organization?: string;
  email?: string;
}

/** Escapes a text value: backslash, comma and semicolon get a backslash, newlines become `\n`. */
export function escapeVcardText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/,/g, '\\,')
    .replace(/;/g, '\\;')
    .replace(/\r\n|\r|\n/g, '\\n');
}

export function buildVcard(card: ContactCard): string {
  const name = escapeVcardText(card.name);
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    // N is required in 3.0; the whole name goes in as the given name, as phones do for one-field names.
    `N:;${name};;;`,
    `FN:${name}`,
    ...(card.organization ? [`ORG:${escapeVcardText(card.organization)}`] : []),
    `TEL;type=CELL;type=VOICE;waid=${card.phone}:+${card.phone}`,
    ...(card.email ? [`EMAIL;type=INTERNET:${escapeVcardText(card.email)}`] : []),
    'END:VCARD',
  ];
  return lines.join('\n');
}
