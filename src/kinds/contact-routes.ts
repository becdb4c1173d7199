/** POST /api/send-contact: 1 to 10 contact cards, the vCards built by the gateway. */
import { z } from 'zod';
import { AppError, Errors } from '../errors/app-error.js';
import { carry } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { normalisePhone } from '../messaging/phone-number.js';
import { kindDoc } from './kind-doc.js';
import { kindRoute, recipientFields, type KindRouteDeps } from './kind-route.js';
import { buildVcard, type ContactCard } from './vcard.js';

export const MAX_CONTACTS = 10;
const MAX_CARD_TEXT = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `contacts[2].name`, from the issue's path (the index is the number in it). */
function where(path: readonly PropertyKey[] | undefined, field: string): string {
  const index = path?.find((p) => typeof p === 'number');
  return `contacts[${index ?? '?'}].${field}`;
}

const invalidAt = (field: string, detail: string) => (issue: { path?: readonly PropertyKey[] }) =>
  carry(Errors.invalidContact(`${where(issue.path, field)} ${detail}`));

function cardText(field: string, description: string, example: string) {
  return z
    .string({ error: invalidAt(field, 'must be text') })
    .max(MAX_CARD_TEXT, { error: invalidAt(field, `too long (maximum ${MAX_CARD_TEXT} characters)`) })
    .meta({ description, examples: [example] });
}

const contactEntry = z
  .object(
    {
      name: cardText('name', 'The name on the card', 'Siti Aminah').regex(/\S/, { error: invalidAt('name', 'required') }),
      phone: z
        .union([z.string(), z.int()], { error: invalidAt('phone', 'required') })
        .meta({ description: 'Their number, in any format `phone` takes', examples: ['6281234567891'] }),
      organization: cardText('organization', 'Optional: company', 'Toko Makmur').optional(),
      email: cardText('email', 'Optional: e-mail address', 'siti@example.com')
        .regex(EMAIL, { error: invalidAt('email', 'is not an e-mail address') })
        .optional(),
    },
    { error: (issue) => carry(Errors.invalidContact(`${where(issue.path, '')}`.replace(/\.$/, '') + ' must be an object {name, phone}')) },
  )
  .meta({ description: 'One contact card' });

export function contactFields(defaultCountryCode: string) {
  const required = () => carry(Errors.contactsRequired(MAX_CONTACTS));
  return z.object({
    ...recipientFields(defaultCountryCode),
    contacts: z
      .array(contactEntry, { error: required })
      .min(1, { error: required })
      .max(MAX_CONTACTS, { error: () => carry(Errors.invalidContact(`at most ${MAX_CONTACTS} contacts per message`)) })
      .meta({ description: `1 to ${MAX_CONTACTS} contact cards` })
      .transform((entries, ctx) => {
        const cards: ContactCard[] = [];
        for (const [index, entry] of entries.entries()) {
          try {
            const phone = normalisePhone(entry.phone, defaultCountryCode).digits;
            const optional = (text: string | undefined) => (text && text.trim() !== '' ? text.trim() : undefined);
            cards.push({ name: entry.name.trim(), phone, organization: optional(entry.organization), email: optional(entry.email) });
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            ctx.issues.push({ code: 'custom', message: carry(Errors.invalidContact(`contacts[${index}].phone: ${error.message}`)), input: entry.phone });
            return z.NEVER;
          }
        }
        return cards;
      }),
  });
}

export function contactRoutes(deps: KindRouteDeps): RouteSpec[] {
  const fields = contactFields(deps.defaultCountryCode);
  const example = {
    phone: '6281234567890',
    contacts: [{ name: 'Siti Aminah', phone: '6281234567891', organization: 'Toko Makmur', email: 'siti@example.com' }],
  };
  return [
    kindRoute(
      {
        path: '/api/send-contact',
        description: 'Send contact card(s)',
        successMessage: 'Contact sent successfully',
        type: 'contact',
        fields,
        sendOptions: 'accepted',
        fingerprint: (p) => ({ contacts: p.contacts }),
        content: async (p) => ({ kind: 'contact', contacts: p.contacts.map((card) => ({ displayName: card.name, vcard: buildVcard(card) })) }),
        data: (p) => ({ contacts: p.contacts.map((c) => ({ name: c.name, phone: c.phone, organization: c.organization ?? null, email: c.email ?? null })) }),
        doc: () =>
          kindDoc({
            successMessage: 'Contact sent successfully',
            type: 'contact',
            fields,
            jsonOnly: true,
            details:
              'The gateway writes each card as a vCard 3.0 (special characters escaped, the number as `waid` so "Message" opens a WhatsApp chat). ' +
              'One contact goes out as a contact card, several as one message with all the cards.',
            example,
            data: {
              contacts: z.array(z.object({ name: z.string(), phone: z.string(), organization: z.string().nullable(), email: z.string().nullable() })),
            },
            exampleData: { contacts: [{ name: 'Siti Aminah', phone: '6281234567891', organization: 'Toko Makmur', email: 'siti@example.com' }] },
            errors: ['CONTACTS_REQUIRED', 'INVALID_CONTACT'],
          }),
      },
      deps,
    ),
  ];
}
