/**
 * Group ids as clients give them: WhatsApp's JID (`120363012345678901@g.us`) or its digits; old
 * groups have `<creator phone>-<timestamp>` ids, accepted as well. Normalised here only, so every
 * route and the port see the JID.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { carry, failsWith } from '../http/request-validation.js';

const GROUP_ID = /^(\d{5,25}(?:-\d{5,15})?)(?:@g\.us)?$/;

/** The JID of a group id, or undefined when it is not one. */
export function normaliseGroupId(value: string): string | undefined {
  const match = GROUP_ID.exec(value.trim());
  return match ? `${match[1]}@g.us` : undefined;
}

export const GROUP_ID_EXAMPLE = '120363012345678901@g.us';

/**
 * A group id field (e.g. the `group` of a send): a string, normalised to the JID; anything else
 * answers 400 INVALID_GROUP_ID.
 */
export function groupIdField(description = 'The group id as WhatsApp gives it (`120363012345678901@g.us`) or its digits') {
  return z
    .string({ error: failsWith(() => Errors.invalidGroupId()) })
    .meta({ description, examples: [GROUP_ID_EXAMPLE] })
    .transform((value, ctx) => {
      const jid = normaliseGroupId(value);
      if (jid) return jid;
      ctx.issues.push({ code: 'custom', message: carry(Errors.invalidGroupId()), input: value });
      return z.NEVER;
    });
}

/** The `:id` path parameter of the group routes. */
export const groupIdParams = z.object({ id: groupIdField() });
