/**
 * The hostile suite's values for the send endpoints of the kinds without a file (src/kinds/):
 * location, contact cards, reaction and poll. Each gets well-formed bodies (the baseline) and
 * hostile ones: every field of the kind with wrong types, out of range, too long or too many,
 * plus the addressing options (`group`, `reply_to`, `mentions`) a kind may refuse.
 */
import fc from 'fast-check';
import { MAX_CONTACTS } from '../../../src/kinds/contact-routes.js';
import { MAX_OPTION_LENGTH, MAX_POLL_OPTIONS, MAX_QUESTION_LENGTH } from '../../../src/kinds/poll-routes.js';
import type { BodySpec } from './request-types.js';
import { GOOD_PHONE, phoneValue, WEIRD_TEXT } from './values.js';

export const KIND_ENDPOINTS = ['/api/send-location', '/api/send-contact', '/api/send-reaction', '/api/send-poll'] as const;
export type KindEndpoint = (typeof KIND_ENDPOINTS)[number];

export const isKindEndpoint = (endpoint: string): endpoint is KindEndpoint => (KIND_ENDPOINTS as readonly string[]).includes(endpoint);

/**
 * Stands for the WhatsApp id of a message the target sent to the well-formed requests' chat
 * (hostile-target.ts swaps it in on the wire): a reaction needs a message the chat has.
 */
export const KNOWN_MESSAGE_ID = 'KNOWNMESSAGEIDPLACEHOLDER';

/** Text that a form or multipart field can carry, as JSON would not restrict it. */
const oddValue = fc.oneof(
  { weight: 3, arbitrary: WEIRD_TEXT },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(WEIRD_TEXT, { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

const coordinate = (limit: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.double({ min: -limit, max: limit, noNaN: true }) },
    fc.double(),
    fc.constantFrom(limit, -limit, limit + 1e-9, '-6.1754', ' 106.8 ', '1e3', '0x10', 'NaN', 'Infinity', '', '--1', '1.', '.5'),
    oddValue,
  );

const placeText = fc.oneof(WEIRD_TEXT, fc.constantFrom('n'.repeat(1000), 'n'.repeat(1001)), oddValue);

const contactCard = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        name: fc.oneof(fc.constantFrom('Siti', ' ', 'x'.repeat(257)), WEIRD_TEXT, oddValue),
        phone: fc.oneof(phoneValue, fc.integer(), oddValue),
        organization: fc.oneof(WEIRD_TEXT, oddValue),
        email: fc.oneof(fc.constantFrom('siti@example.com', 'not-an-email', 'a@b', '@.'), WEIRD_TEXT, oddValue),
      },
      { requiredKeys: [] },
    ),
  },
  oddValue,
);

const emoji = fc.oneof(fc.constantFrom('👍', '👍🏽', '🇮🇩', '👨‍👩‍👧', '', ' ', '👍👍', 'a', '\u200d', '\ufe0f', '🏽', '👍\u0000'), WEIRD_TEXT, oddValue);

const messageId = fc.oneof(
  { weight: 3, arbitrary: fc.constant(KNOWN_MESSAGE_ID) },
  fc.constantFrom('', ' ', '3EB0B057F6CD72C5DB18EC', 'x'.repeat(129), `${KNOWN_MESSAGE_ID} `),
  WEIRD_TEXT,
  oddValue,
);

const pollOption = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  fc.constantFrom('', ' ', 'o'.repeat(MAX_OPTION_LENGTH), 'o'.repeat(MAX_OPTION_LENGTH + 1), 'same'),
  oddValue,
);

/** The options a send may carry, valid or not; reactions refuse the first two. */
const addressingExtras = {
  reply_to: fc.oneof(fc.constantFrom('3EB0B057F6CD72C5DB18EC', KNOWN_MESSAGE_ID, ''), oddValue),
  mentions: fc.oneof(fc.array(phoneValue, { maxLength: 3 }), oddValue),
  group: fc.oneof(fc.constantFrom('120363012345678901@g.us', '120363012345678901', 'not-a-group'), oddValue),
};

/** Each kind's own fields, hostile: every one may be missing, of any type, or out of bounds. */
const HOSTILE_FIELDS: Record<KindEndpoint, Record<string, fc.Arbitrary<unknown>>> = {
  '/api/send-location': { latitude: coordinate(90), longitude: coordinate(180), name: placeText, address: placeText },
  '/api/send-contact': {
    contacts: fc.oneof(
      { weight: 4, arbitrary: fc.array(contactCard, { maxLength: 3 }) },
      fc.array(contactCard, { minLength: MAX_CONTACTS, maxLength: MAX_CONTACTS + 2 }),
      oddValue,
    ),
  },
  '/api/send-reaction': { message_id: messageId, emoji },
  '/api/send-poll': {
    question: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('q'.repeat(MAX_QUESTION_LENGTH + 1)), oddValue),
    options: fc.oneof(
      { weight: 4, arbitrary: fc.array(pollOption, { maxLength: 4 }) },
      fc.array(pollOption, { minLength: MAX_POLL_OPTIONS, maxLength: MAX_POLL_OPTIONS + 2 }),
      oddValue,
    ),
    multiple_answers: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 'yes', '1', ''), oddValue),
  },
};

/** Mostly there (so the checks after it are reached too), sometimes missing (undefined is left out of the JSON). */
const mostly = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 8 });
/** Mostly missing: a wrong option would hide the kind's own checks behind its error. */
const rarely = <T>(value: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, value);

/** A hostile JSON body for a kind: its fields, the recipient and options, any of them missing. */
export function hostileKindValue(endpoint: KindEndpoint): fc.Arbitrary<Record<string, unknown>> {
  const own = Object.fromEntries(Object.entries(HOSTILE_FIELDS[endpoint]).map(([name, value]) => [name, mostly(value)]));
  const extras = Object.fromEntries(Object.entries(addressingExtras).map(([name, value]) => [name, rarely(value)]));
  return fc.record({ phone: mostly(fc.oneof({ weight: 6, arbitrary: GOOD_PHONE }, phoneValue, oddValue)), ...own, ...extras });
}

/** The field names a form or multipart body to a kind uses (arrays as repeated or bracketed names). */
export const KIND_FIELD_NAMES: Record<KindEndpoint, string[]> = {
  '/api/send-location': ['latitude', 'longitude', 'name', 'address'],
  '/api/send-contact': ['contacts', 'contacts[0][name]', 'contacts[]'],
  '/api/send-reaction': ['message_id', 'emoji'],
  '/api/send-poll': ['question', 'options', 'options[]', 'multiple_answers'],
};

/** A text that fits a kind's form field, for the hostile forms and multipart fields. */
export const kindFieldText = fc.oneof(
  fc.constantFrom('-6.1754', '106.8272', '999', '👍', KNOWN_MESSAGE_ID, 'Padang', 'true', '{"name":"Siti","phone":"6281234567891"}'),
  WEIRD_TEXT,
);

/** A request body every kind accepts (without the recipient), as a real client would send it. */
export function wellFormedKindValue(endpoint: KindEndpoint): fc.Arbitrary<Record<string, unknown>> {
  switch (endpoint) {
    case '/api/send-location':
      return fc.record(
        {
          latitude: fc.double({ min: -90, max: 90, noNaN: true }),
          longitude: fc.double({ min: -180, max: 180, noNaN: true }),
          name: fc.string({ maxLength: 30 }),
          address: fc.string({ maxLength: 60 }),
        },
        { requiredKeys: ['latitude', 'longitude'] },
      );
    case '/api/send-contact':
      return fc.record({
        contacts: fc.array(
          fc.record(
            {
              name: fc.constantFrom('Siti Aminah', 'Budi', 'Grüße 日本'),
              phone: fc.constantFrom('6281234567891', '0812-9876-5432'),
              organization: fc.constantFrom('Toko Makmur', ''),
              email: fc.constantFrom('siti@example.com'),
            },
            { requiredKeys: ['name', 'phone'] },
          ),
          { minLength: 1, maxLength: 3 },
        ),
      });
    case '/api/send-reaction':
      return fc.record({ message_id: fc.constant(KNOWN_MESSAGE_ID), emoji: fc.constantFrom('👍', '👍🏽', '🇮🇩', '👨‍👩‍👧', '') });
    case '/api/send-poll':
      return fc.record(
        {
          question: fc.string({ minLength: 1, maxLength: 60 }).filter((q) => q.trim() !== ''),
          options: fc
            .uniqueArray(
              fc.string({ minLength: 1, maxLength: 30 }).map((o) => o.trim()),
              { minLength: 2, maxLength: MAX_POLL_OPTIONS, selector: (o) => o },
            )
            .filter((options) => options.every((o) => o !== '')),
          multiple_answers: fc.boolean(),
        },
        { requiredKeys: ['question', 'options'] },
      );
  }
}

/** A hostile kind body as JSON, the way nearly every client sends it (so most reach the kind's own checks). */
export function hostileKindJson(endpoint: KindEndpoint): fc.Arbitrary<BodySpec> {
  return fc.record({
    type: fc.constant('json' as const),
    value: hostileKindValue(endpoint),
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
    bom: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
  });
}
