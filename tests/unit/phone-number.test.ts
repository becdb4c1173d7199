import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { AppError } from '../../src/errors/app-error.js';
import { normalisePhone } from '../../src/messaging/phone-number.js';

const expectError = (fn: () => unknown, message: string) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toBe(message);
    expect((error as AppError).status).toBe(400);
    return;
  }
  throw new Error('expected an error');
};

describe('normalisePhone', () => {
  test.each([
    ['6281234567890', '62', '6281234567890'],
    ['+6281234567890', '62', '6281234567890'],
    ['081234567890', '62', '6281234567890'],
    [' +62 812-3456-7890 ', '62', '6281234567890'],
    ['(0812) 3456.7890', '62', '6281234567890'],
    ['006281234567890', '62', '6281234567890'],
    ['07911123456', '44', '447911123456'],
    ['+1 (415) 555-2671', '62', '14155552671'],
    // Non-geographic calling codes (international freephone, satellite).
    ['+800 1234 5678', '62', '80012345678'],
    ['+882 1234567890', '62', '8821234567890'],
    [6281234567890, '62', '6281234567890'],
  ])('%p with default %s → %s', (input, cc, digits) => {
    expect(normalisePhone(input, cc)).toEqual({ digits, jid: `${digits}@s.whatsapp.net` });
  });

  test.each([undefined, null, '', '   ', {}, []])('%p → Phone number required', (input) => {
    expectError(() => normalisePhone(input, '62'), 'Phone number required');
  });

  test.each(['12', '12345678', '62abc', '+', '0', '+0812345678', '1234567890123456', '+999123456789', '62812345678901234', '62812@s.whatsapp.net'])(
    '%p → Invalid phone number',
    (input) => {
      expectError(() => normalisePhone(input, '62'), 'Invalid phone number');
    },
  );

  // No country calling code among the first 1 to 3 digits (999, and unassigned ones such as 289, 425, 214).
  test.each(['+99912345678', '99912345678', '+2891234567', '+4251234567', '+2141234567'])('%p → Invalid phone number (no calling code)', (input) => {
    expectError(() => normalisePhone(input, '62'), 'Invalid phone number');
  });

  test('accepts and refuses exactly the numbers libphonenumber finds possible', () => {
    // The same library the module loads (CommonJS, the default metadata).
    const { parsePhoneNumberFromString } = createRequire(import.meta.url)('libphonenumber-js') as typeof import('libphonenumber-js');
    const accepted = (digits: string) => {
      try {
        normalisePhone(digits, '62');
        return true;
      } catch {
        return false;
      }
    };
    let checked = 0;
    for (let prefix = 1; prefix <= 999; prefix++) {
      for (let length = 7; length <= 15; length += 2) {
        const digits = `${prefix}${'4'.repeat(15)}`.slice(0, length);
        if (digits.length < length) continue;
        expect([digits, accepted(digits)]).toEqual([digits, parsePhoneNumberFromString(`+${digits}`)?.isPossible() === true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4000);
  });
});
