/**
 * Query and path parameters shared by the list routes (records, webhook deliveries): each bad
 * value is a 400 INVALID_PARAMETER naming it, and each carries its description for the OpenAPI
 * document.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { InvalidCursorError, MAX_PAGE_SIZE } from '../store/cursor.js';
import { carry, failsWith } from './request-validation.js';

export const invalid = (name: string, expected: string) => failsWith(() => Errors.invalidParameter(name, expected));

export function oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  return z.enum(values, { error: invalid(name, values.join(', ')) }).optional();
}

/** An ISO-8601 date or Unix seconds. */
export function dateParam(name: string, description: string, example: string) {
  const expected = 'an ISO-8601 date or Unix seconds';
  return z
    .string({ error: invalid(name, expected) })
    .meta({ description: `${description}: ${expected}`, examples: [example] })
    .transform((value, ctx) => {
      const date = new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value);
      if (!Number.isNaN(date.getTime())) return date;
      ctx.issues.push({ code: 'custom', message: carry(Errors.invalidParameter(name, expected)), input: value });
      return z.NEVER;
    })
    .optional();
}

export const limitParam = z.coerce
  .number({ error: invalid('limit', `a whole number from 1 to ${MAX_PAGE_SIZE}`) })
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .optional()
  .meta({ description: 'Page size (50 unless given)' });

export const textParam = (name: string, description: string) =>
  z
    .string({ error: invalid(name, 'a single value') })
    .min(1)
    .optional()
    .meta({ description });

export const cursorParam = textParam('cursor', '`next_cursor` of the previous page');

export const page = (item: z.ZodType) =>
  z.object({
    status: z.literal('success'),
    data: z.array(item),
    total: z.int(),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last' }),
  });

export const idParam = (name: string, description: string, example: string) => z.object({ [name]: z.string().meta({ description, examples: [example] }) });

/** A cursor the store cannot read is the client's mistake: 400, not 500. */
export async function withCursor<T>(list: () => Promise<T>): Promise<T> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw Errors.invalidParameter('cursor', 'next_cursor from a previous page');
    throw error;
  }
}
