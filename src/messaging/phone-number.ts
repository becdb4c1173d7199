/**
 * Phone numbers as the contract accepts them: "6281234567890", "+6281234567890", "081234567890"
 * (a leading 0 is a national number: the default country code replaces it), with spaces, dashes,
 * dots and parentheses ignored. All become "<digits>@s.whatsapp.net".
 */
import { Errors } from '../errors/app-error.js';
import { loadOnFirstUse } from '../load-on-first-use.js';

export interface NormalisedPhone {
  /** International digits without "+", as returned in `data.phone`. */
  digits: string;
  jid: string;
}

const SEPARATORS = /[\s\-.()]/g;

/** The numbering plan metadata (a few MB in memory), loaded with the first number checked. */
const libphonenumber = loadOnFirstUse<typeof import('libphonenumber-js')>('libphonenumber-js');

/**
 * International digits already found plausible: a gateway sends to the same numbers again and
 * again, and the libphonenumber parse was a visible part of a text's CPU. Only the positive
 * outcome is kept (a rejected number is parsed again, and answered the same way); bounded, it
 * starts afresh when full.
 */
const plausible = new Set<string>();
const MAX_REMEMBERED = 10_000;

export function normalisePhone(input: unknown, defaultCountryCode: string): NormalisedPhone {
  // PHP and spreadsheet clients often send the number as a JSON number.
  const raw = typeof input === 'number' && Number.isSafeInteger(input) ? String(input) : input;
  if (typeof raw !== 'string' || raw.trim() === '') throw Errors.phoneRequired();

  const compact = raw.trim().replace(SEPARATORS, '');
  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00'))
    digits = compact.slice(2); // international call prefix
  else if (compact.startsWith('0')) digits = defaultCountryCode + compact.slice(1);
  else digits = compact;

  if (!/^[1-9]\d{6,14}$/.test(digits)) throw Errors.invalidPhone();
  // "Plausible" = a known country code and a possible length for it; we don't reject numbers
  // outside today's allocated ranges, since WhatsApp itself is the authority on those.
  if (!plausible.has(digits)) {
    const parsed = libphonenumber().parsePhoneNumberFromString(`+${digits}`);
    if (!parsed || !parsed.isPossible()) throw Errors.invalidPhone();
    if (plausible.size >= MAX_REMEMBERED) plausible.clear();
    plausible.add(digits);
  }
  return { digits, jid: `${digits}@s.whatsapp.net` };
}
