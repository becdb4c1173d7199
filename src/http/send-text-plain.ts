/**
 * POST /api/send-message's fields without zod, for the body nearly every client sends: string
 * fields (or none) and a message that is text. zod's object parse was most of the route's own CPU
 * per send (~40 us of a text send's ~5 ms). Only success is decided here: anything this check is
 * not sure of goes to the schema, so every refusal still comes from it, with its error and wording.
 */
import { MAX_TEXT_LENGTH } from './send-schemas.js';

/** The schema's fields, each with the plain value the schema accepts as it is: a string or nothing. */
const PLAIN_OPTIONAL = ['phone', 'group', 'reply_to', 'mentions'] as const;
const KNOWN = new Set<string>([...PLAIN_OPTIONAL, 'message']);

/**
 * A check for `schema`'s fields (sendTextFields), or undefined for a schema with fields this one
 * does not know: a field added to the schema must be added here too before the shortcut applies.
 */
export function plainTextMessage(schema: { shape: object }): ((body: unknown) => string | undefined) | undefined {
  const fields = Object.keys(schema.shape);
  if (fields.length !== KNOWN.size || !fields.every((field) => KNOWN.has(field))) return undefined;
  return (body) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const fields = body as Record<string, unknown>;
    for (const name of PLAIN_OPTIONAL) {
      const value = fields[name];
      if (value !== undefined && typeof value !== 'string') return undefined;
    }
    const { message } = fields;
    // The schema's checks on `message` (messageField): text, 1 to MAX_TEXT_LENGTH code units, not only whitespace.
    if (typeof message !== 'string' || message.length < 1 || message.length > MAX_TEXT_LENGTH || !/\S/.test(message)) return undefined;
    return message;
  };
}
