/**
 * The phone number of a request, as a zod field: the contract's formats, normalised with the
 * configured default country code. Its failures are the catalogue's `Phone number required` and
 * `Invalid phone number`.
 */
import { z } from 'zod';
import { AppError, Errors } from '../errors/app-error.js';
import { normalisePhone } from '../messaging/phone-number.js';
import { carry, failsWith } from './request-validation.js';

export function phoneField(defaultCountryCode: string, description = 'Recipient') {
  return (
    z
      // PHP and spreadsheet clients often send the number as a JSON number.
      .union([z.string(), z.int()], { error: failsWith(() => Errors.phoneRequired()) })
      .meta({
        description:
          `${description}: 6281234567890, +6281234567890 or 081234567890 (a leading 0 takes the default country ` +
          `code, here ${defaultCountryCode}); spaces, dashes, dots and parentheses are ignored`,
        examples: ['6281234567890'],
      })
      .transform((value, ctx) => {
        try {
          return normalisePhone(value, defaultCountryCode);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          ctx.issues.push({ code: 'custom', message: carry(error), input: value });
          return z.NEVER;
        }
      })
  );
}
