/**
 * Who a send goes to and how it relates to the chat, the same on every send endpoint (JSON, form or
 * multipart): exactly one of `phone` (a number, or a LID as incoming webhooks' `from_lid` give it)
 * and `group`, plus the options `reply_to` and `mentions`. A send route spreads `addressingFields`
 * and `sendOptionFields` into its schema (for the OpenAPI document) and calls `readAddressing` on the
 * body BEFORE its own schema, so a missing recipient answers first, as in v2.0.0.
 */
import { z } from 'zod';
import { AppError, Errors } from '../errors/app-error.js';
import { GROUP_ID_EXAMPLE, groupIdField } from '../groups/group-id.js';
import { normalisePhone } from '../messaging/phone-number.js';
import { groupRecipient, lidRecipient, phoneRecipient, type Recipient } from '../messaging/recipient.js';
import type { SendOptions } from '../messaging/reply-context.js';
import type { ErrorCode } from '../openapi/error-codes.js';
import { parseRequest } from './request-validation.js';

/** A LID JID as WhatsApp gives it (`123456789012345@lid`). */
const LID = /^(\d{5,25})@lid$/i;
const WA_MESSAGE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_MENTIONS = 256;

/** The recipient fields of every send body (validated by readAddressing; here for the document). */
export function addressingFields(defaultCountryCode: string) {
  return {
    phone: z
      .union([z.string(), z.int()])
      .optional()
      .meta({
        description:
          `Recipient: 6281234567890, +6281234567890 or 081234567890 (a leading 0 takes the default country code, here ${defaultCountryCode}; ` +
          'spaces, dashes, dots and parentheses are ignored), or a LID as incoming webhooks give it in `from_lid` (`123456789012345@lid`) ' +
          'to answer a contact WhatsApp names only by LID. Not together with `group`.',
        examples: ['6281234567890'],
      }),
    group: z
      .string()
      .optional()
      .meta({ description: 'A group the account is in, instead of `phone`: its id as WhatsApp gives it or its digits', examples: [GROUP_ID_EXAMPLE] }),
  };
}

/** The `reply_to` and `mentions` options of every send body. */
export function sendOptionFields() {
  return {
    reply_to: z
      .string()
      .optional()
      .meta({
        description: 'WhatsApp id of a message in the same chat (one we sent, or one received) that this message replies to',
        examples: ['3EB0B057F6CD72C5DB18EC'],
      }),
    mentions: z
      .union([z.array(z.string()), z.string()])
      .optional()
      .meta({ description: 'Phone numbers mentioned (`@6281234567890` in the text renders as a mention); in a form or multipart body comma-separated' }),
  };
}

/** The errors readAddressing and the send's reply lookup answer with: every send route lists them. */
export const ADDRESSING_ERRORS: readonly ErrorCode[] = [
  'RECIPIENT_CONFLICT',
  'INVALID_GROUP_ID',
  'GROUP_NOT_FOUND',
  // The membership check asks WhatsApp when the group's metadata is not cached.
  'GROUP_REQUEST_REFUSED',
  'GROUP_REQUEST_NO_ANSWER',
  'INVALID_REPLY_TO',
  'INVALID_MENTIONS',
  'MESSAGE_NOT_FOUND',
];

export interface Addressing {
  to: Recipient;
  /** What the success body echoes: `phone` (digits, or the LID JID) or `group` (the group JID). */
  echo: { phone: string } | { group: string };
  options: SendOptions;
}

const given = (value: unknown): boolean => value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');

const groupField = z.object({ group: groupIdField() });

/** Reads and checks the recipient and the options of a send body; throws the catalogue's errors. */
export function readAddressing(body: unknown, defaultCountryCode: string): Addressing {
  const fields = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const options = readSendOptions(fields, defaultCountryCode);
  if (given(fields.phone) && given(fields.group)) throw Errors.recipientConflict();
  if (given(fields.group)) {
    const { group } = parseRequest(groupField, fields);
    return { to: groupRecipient(group), echo: { group }, options };
  }
  const lid = typeof fields.phone === 'string' ? LID.exec(fields.phone.trim()) : null;
  if (lid) {
    const jid = `${lid[1]}@lid`;
    return { to: lidRecipient(jid), echo: { phone: jid }, options };
  }
  const phone = normalisePhone(fields.phone, defaultCountryCode);
  return { to: phoneRecipient(phone), echo: { phone: phone.digits }, options };
}

function readSendOptions(fields: Record<string, unknown>, defaultCountryCode: string): SendOptions {
  const options: SendOptions = {};
  if (given(fields.reply_to)) {
    const replyTo = typeof fields.reply_to === 'string' ? fields.reply_to.trim() : '';
    if (!WA_MESSAGE_ID.test(replyTo)) throw Errors.invalidReplyTo();
    options.replyTo = replyTo;
  }
  const mentions = given(fields.mentions) ? readMentions(fields.mentions, defaultCountryCode) : [];
  if (mentions.length > 0) options.mentions = mentions;
  return options;
}

/** Phone numbers (or LIDs) as JIDs, duplicates dropped, in the client's order. */
function readMentions(value: unknown, defaultCountryCode: string): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items) throw Errors.invalidMentions('expected an array of phone numbers (comma-separated in a form)');
  const listed = items.filter((item) => !(typeof item === 'string' && item.trim() === ''));
  if (listed.length > MAX_MENTIONS) throw Errors.invalidMentions(`at most ${MAX_MENTIONS} phone numbers`);
  const jids = listed.map((item) => {
    const lid = typeof item === 'string' ? LID.exec(item.trim()) : null;
    if (lid) return `${lid[1]}@lid`;
    try {
      return normalisePhone(item, defaultCountryCode).jid;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      throw Errors.invalidMentions(`${JSON.stringify(item)} is not a phone number`);
    }
  });
  return [...new Set(jids)];
}
