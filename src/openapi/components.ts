/**
 * Pieces the whole document shares: schemas that get a name under `components.schemas` (declared
 * beside their routes with `named`), the error body, timestamps, and the two ways to present a key.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

const componentNames = new Map<z.ZodType, string>();

/** Gives a schema a name in the document; every route that uses it then refers to it by name. */
export function named<S extends z.ZodType>(name: string, schema: S): S {
  componentNames.set(schema, name);
  return schema;
}

export function namedSchemas(): ReadonlyMap<z.ZodType, string> {
  return componentNames;
}

/** An ISO-8601 UTC instant, as `new Date().toISOString()` writes it. */
export const isoTimestamp = z.string().meta({ format: 'date-time', examples: ['2025-09-23T13:45:30.123Z'] });

/** The contract's error body, its `code` one of the given codes. */
export function errorBodySchema(codes: readonly ErrorCode[]): z.ZodType {
  const shape = {
    status: z.literal('error'),
    message: z.string().meta({ description: 'What went wrong, in the v2.0.0 wording where it had one' }),
    timestamp: isoTimestamp,
    code: z.enum(codes as [ErrorCode, ...ErrorCode[]]).meta({ description: 'Stable machine-readable code' }),
  };
  return z.object({
    ...shape,
    ...(codes.includes('RATE_LIMITED')
      ? {
          limit: z.int().optional().meta({ description: 'RATE_LIMITED: requests allowed per window' }),
          window: z.int().optional().meta({ description: 'RATE_LIMITED: the window in seconds' }),
        }
      : {}),
    ...(codes.includes('QR_NOT_AVAILABLE')
      ? {
          reason: z
            .enum(['connecting', 'waiting_to_retry', 'pairing_code_pending'])
            .optional()
            .meta({ description: 'QR_NOT_AVAILABLE: why there is no QR now' }),
          next_retry_at: isoTimestamp.optional().meta({ description: 'QR_NOT_AVAILABLE while waiting to retry: when the next attempt starts' }),
        }
      : {}),
    ...(codes.includes('PAIRING_CODE_REFUSED')
      ? { whatsapp_error: z.object({ code: z.int(), text: z.string() }).optional().meta({ description: "PAIRING_CODE_REFUSED: WhatsApp's error" }) }
      : {}),
    ...(codes.includes('FILE_TOO_LARGE') ? { max_size: z.string().optional().meta({ description: 'FILE_TOO_LARGE: the limit, e.g. "16MB"' }) } : {}),
  });
}

export const statusOfCode = (code: ErrorCode): number => ERROR_CODES[code];

export const SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of the keys in API_KEY (only when API_KEY is set)' },
  bearer: { type: 'http', scheme: 'bearer', description: 'The same key as `Authorization: Bearer <key>`' },
} as const;
