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

/**
 * The country calling codes the metadata knows (1 to 3 digits), asked once of the library's own
 * `hasCallingCode`, which is what its parser asks of the number's first 1, 2 and 3 digits. When
 * none of those is a calling code, the parser gives up with a ParseError that it throws and
 * catches itself; building that error (a transpiled Error subclass with a stack trace) was most
 * of a refused number's CPU. Such a number is refused here instead, with the same answer.
 */
let callingCodes: ReadonlySet<string> | null | undefined;

function hasCallingCode(digits: string): boolean {
  if (callingCodes === undefined) {
    // Public in the library's JavaScript, missing from its typings.
    const metadata = new (libphonenumber().Metadata)() as unknown as { hasCallingCode?: (code: string) => boolean };
    const known = metadata.hasCallingCode?.bind(metadata);
    // Should a future version drop it, every number goes to the parser again, as before.
    callingCodes = known ? new Set(Array.from({ length: 999 }, (_, i) => String(i + 1)).filter((code) => known(code))) : null;
  }
  if (callingCodes === null) return true;
  return callingCodes.has(digits.slice(0, 1)) || callingCodes.has(digits.slice(0, 2)) || callingCodes.has(digits.slice(0, 3));
}

/**
 * parsePhoneNumberFromString, whose other failures (a national number too short or too long
 * for its plan) still throw and catch inside: without a stack trace, which nobody reads.
 */
function parseQuietly(international: string) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return libphonenumber().parsePhoneNumberFromString(international);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** International digits without "+": what every accepted number comes down to. */
const INTERNATIONAL_DIGITS = /^[1-9]\d{6,14}$/;

/** A number in any of the accepted spellings, as international digits; throws when it has none. */
function internationalDigits(raw: string, defaultCountryCode: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') throw Errors.phoneRequired();
  const compact = trimmed.replace(SEPARATORS, '');
  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00'))
    digits = compact.slice(2); // international call prefix
  else if (compact.startsWith('0')) digits = defaultCountryCode + compact.slice(1);
  else digits = compact;
  if (!INTERNATIONAL_DIGITS.test(digits)) throw Errors.invalidPhone();
  return digits;
}

export function normalisePhone(input: unknown, defaultCountryCode: string): NormalisedPhone {
  // PHP and spreadsheet clients often send the number as a JSON number.
  const raw = typeof input === 'number' && Number.isSafeInteger(input) ? String(input) : input;
  if (typeof raw !== 'string') throw Errors.phoneRequired();
  // Most numbers arrive as plain international digits: nothing to trim, strip or prefix.
  const digits = INTERNATIONAL_DIGITS.test(raw) ? raw : internationalDigits(raw, defaultCountryCode);
  // "Plausible" = a known country code and a possible length for it; we don't reject numbers
  // outside today's allocated ranges, since WhatsApp itself is the authority on those.
  if (!plausible.has(digits)) {
    if (!hasCallingCode(digits)) throw Errors.invalidPhone();
    const parsed = parseQuietly(`+${digits}`);
    if (!parsed || !parsed.isPossible()) throw Errors.invalidPhone();
    if (plausible.size >= MAX_REMEMBERED) plausible.clear();
    plausible.add(digits);
  }
  return { digits, jid: `${digits}@s.whatsapp.net` };
}
