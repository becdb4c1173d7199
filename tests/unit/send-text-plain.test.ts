import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { sendTextFields } from '../../src/http/send-schemas.js';
import { plainTextMessage } from '../../src/http/send-text-plain.js';

// The shortcut may only ever accept what the schema accepts, with the same message: every
// refusal must still come from the schema (its catalogue error and wording).
const schema = sendTextFields('62');
const plain = plainTextMessage(schema)!;

const phones = [undefined, '6281234567890', '', '123456789012345@lid', 6281234567890, 1.5, null, [], {}];
const groups = [undefined, '120363025246125486@g.us', '', null, 7];
const replies = [undefined, '3EB0B057F6CD72C5DB18EC', '', null, 5];
const mentions = [undefined, '6281234567890,6289876543210', ['6281234567890'], [], null, 3];
const messages = [
  undefined,
  null,
  '',
  ' ',
  '\u00a0\ufeff\u2028',
  '\n\t',
  'hi',
  ' a ',
  '👋',
  'x'.repeat(65_536),
  'x'.repeat(65_537),
  '👋'.repeat(32_768),
  '👋'.repeat(32_769),
  5,
  ['hi'],
  { text: 'hi' },
  true,
];

function* bodies(): Generator<unknown> {
  yield* [undefined, null, 'message=hi', ['hi'], 42];
  for (const phone of phones)
    for (const group of groups)
      for (const reply_to of replies)
        for (const mention of mentions) for (const message of messages) yield { phone, group, reply_to, mentions: mention, message, extra: 1 };
}

describe('plainTextMessage', () => {
  test('accepts only what the schema accepts, with the same message', () => {
    let shortcut = 0;
    let count = 0;
    for (const body of bodies()) {
      count++;
      const message = plain(body);
      if (message === undefined) continue;
      shortcut++;
      const parsed = schema.safeParse(body);
      expect({ body, success: parsed.success }).toEqual({ body, success: true });
      expect(parsed.data?.message).toBe(message);
    }
    expect(count).toBeGreaterThan(10_000);
    expect(shortcut).toBeGreaterThan(100);
  });

  test('takes the common bodies', () => {
    expect(plain({ phone: '6281234567890', message: 'Hello' })).toBe('Hello');
    expect(plain({ group: '120363025246125486@g.us', message: 'Hi', reply_to: 'ABC', mentions: '6281234567890' })).toBe('Hi');
  });

  test('is off for a schema with a field it does not know', () => {
    expect(plainTextMessage(schema.extend({ priority: z.string().optional() }))).toBeUndefined();
    expect(plainTextMessage(schema.omit({ mentions: true }))).toBeUndefined();
  });
});
