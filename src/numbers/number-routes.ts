/**
 * POST /api/check-number: which of up to 50 numbers are on WhatsApp, with their JID and LID, from
 * WhatsApp's own lookup (cached, see number-lookup-cache.ts). Numbers are normalised as the send
 * endpoints' `phone` is; one bad number fails the batch and is named, since a client that sent it
 * has a bug to fix, and answering the rest would hide it in a list.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { RouteSpec } from '../app.js';
import type { Config } from '../config/config.js';
import { AppError, Errors } from '../errors/app-error.js';
import { formOrJsonBody } from '../http/form-json.js';
import { carry, parseRequest } from '../http/request-validation.js';
import { normalisePhone } from '../messaging/phone-number.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import { NumberCheck } from './number-check.js';
import { DEFAULT_MAX_ENTRIES, NumberLookupCache } from './number-lookup-cache.js';

export const MAX_PHONES_PER_CHECK = 50;
const BODY_LIMIT = '16kb';
const JSON_TYPES = ['application/json', 'application/*+json'];

const at = (path: readonly PropertyKey[] | undefined): string => `phones[${String(path?.at(-1) ?? '?')}]`;
const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** The catalogue error of one number, naming its place in the batch. */
function phoneErrorAt(error: AppError, index: number, value: unknown): AppError {
  const where = error.code === 'INVALID_PHONE' ? `phones[${index}] (${shown(value)})` : `phones[${index}]`;
  return new AppError(error.status, error.code, `${error.message}: ${where}`);
}

export function checkNumberFields(defaultCountryCode: string) {
  const phone = z
    .union([z.string(), z.int()], { error: (issue) => carry(new AppError(400, 'PHONE_REQUIRED', `${Errors.phoneRequired().message}: ${at(issue.path)}`)) })
    .meta({ examples: ['6281234567890'] });
  return z.object({
    phones: z
      .array(phone, {
        error: (issue) =>
          carry(
            issue.input === undefined || issue.input === null
              ? Errors.phonesRequired(MAX_PHONES_PER_CHECK)
              : Errors.invalidParameter('phones', `an array of 1 to ${MAX_PHONES_PER_CHECK} phone numbers`),
          ),
      })
      .min(1, { error: () => carry(Errors.phonesRequired(MAX_PHONES_PER_CHECK)) })
      .max(MAX_PHONES_PER_CHECK, { error: () => carry(Errors.tooManyPhones(MAX_PHONES_PER_CHECK)) })
      .meta({
        description:
          `1 to ${MAX_PHONES_PER_CHECK} numbers, each as the send endpoints take \`phone\`: 6281234567890, +6281234567890 or 081234567890 ` +
          `(a leading 0 takes the default country code, here ${defaultCountryCode})`,
      })
      .transform((values, ctx) => {
        const digits: string[] = [];
        for (const [index, value] of values.entries()) {
          try {
            digits.push(normalisePhone(value, defaultCountryCode).digits);
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            ctx.issues.push({ code: 'custom', message: carry(phoneErrorAt(error, index, value)), input: value });
            return z.NEVER;
          }
        }
        return digits;
      }),
  });
}

const numberStatus = z.object({
  phone: z.string().meta({ description: 'The number as normalised digits' }),
  exists: z.boolean().meta({ description: 'Whether the number has a WhatsApp account' }),
  jid: z
    .string()
    .nullable()
    .meta({ description: "The account's JID as WhatsApp names it; null when not on WhatsApp", examples: ['6281234567890@s.whatsapp.net'] }),
  lid: z
    .string()
    .nullable()
    .meta({
      description: "The account's LID (WhatsApp's private id for it), when WhatsApp gave one; null when not on WhatsApp",
      examples: ['123456789012345@lid'],
    }),
});
const SUCCESS_MESSAGE = 'Phone numbers checked';

function checkNumberDoc(fields: ReturnType<typeof checkNumberFields>, config: Config): RouteDoc {
  const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 100) / 100} h`;
  return {
    tag: 'Numbers',
    details:
      `Answered from WhatsApp's own lookup, one query for the batch. Answers are cached in memory: a number on WhatsApp for ` +
      `${hours(config.numberCheck.positiveTtlMs)} (CHECK_NUMBER_CACHE_TTL), one not on WhatsApp for ${hours(config.numberCheck.negativeTtlMs)} ` +
      `(CHECK_NUMBER_NEGATIVE_CACHE_TTL). One invalid number fails the whole request, and the message names it (\`phones[2]\`). ` +
      'Looking up many numbers that are not your contacts is a pattern WhatsApp watches for spam.',
    body: {
      content: { 'application/json': fields },
      examples: { numbers: { summary: 'Two numbers', value: { phones: ['6281234567890', '081298765432'] } } },
    },
    responses: {
      200: {
        description: 'One entry per number asked, in the same order',
        schema: z.object({ status: z.literal('success'), message: z.literal(SUCCESS_MESSAGE), data: z.array(numberStatus) }),
        examples: {
          checked: {
            summary: 'One on WhatsApp, one not',
            value: {
              status: 'success',
              message: SUCCESS_MESSAGE,
              data: [
                { phone: '6281234567890', exists: true, jid: '6281234567890@s.whatsapp.net', lid: '123456789012345@lid' },
                { phone: '6281298765432', exists: false, jid: null, lid: null },
              ],
            },
          },
        },
      },
    },
    errors: [
      'PHONES_REQUIRED',
      'TOO_MANY_PHONES',
      'PHONE_REQUIRED',
      'INVALID_PHONE',
      'INVALID_PARAMETER',
      'MALFORMED_JSON',
      'UNSUPPORTED_CONTENT_TYPE',
      'BODY_TOO_LARGE',
      'BOT_NOT_CONNECTED',
      'NUMBER_CHECK_FAILED',
    ],
  };
}

export function numberRoutes({ transport, config }: { transport: WhatsAppTransport; config: Config }): RouteSpec[] {
  const fields = checkNumberFields(config.defaultCountryCode);
  const cache = new NumberLookupCache({ ...config.numberCheck, maxEntries: DEFAULT_MAX_ENTRIES });
  const numbers = new NumberCheck(transport, cache);

  // As the send endpoints: refused before the body is read while WhatsApp is not connected.
  const requireConnection: RequestHandler = (_req, _res, next) => {
    if (!transport.status().connected) throw Errors.notConnected();
    next();
  };
  const requireJson: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    // A form type is let through for `curl -d '{…}'`, which labels JSON as a form (see form-json.ts).
    if (hasBody && !req.is([...JSON_TYPES, 'application/x-www-form-urlencoded'])) return next(Errors.unsupportedContentType('application/json'));
    next();
  };
  const check = async (req: Request, res: Response): Promise<void> => {
    const { phones } = parseRequest(fields, req.body);
    const answers = await numbers.check(phones).catch((error: unknown) => {
      if (error instanceof AppError) throw error;
      if (!transport.status().connected) throw Errors.notConnected();
      throw Errors.numberCheckFailed(error instanceof Error ? error.message : String(error));
    });
    res.json({
      status: 'success',
      message: SUCCESS_MESSAGE,
      data: answers.map((a) => ({ phone: a.phone, exists: a.exists, jid: a.exists ? (a.jid ?? null) : null, lid: a.exists ? (a.lid ?? null) : null })),
    });
  };
  return [
    {
      method: 'POST',
      path: '/api/check-number',
      description: 'Check which phone numbers are on WhatsApp',
      guarded: true,
      doc: () => checkNumberDoc(fields, config),
      handlers: [requireConnection, requireJson, express.json({ limit: BODY_LIMIT, type: JSON_TYPES }), ...formOrJsonBody(BODY_LIMIT), check],
    },
  ];
}
