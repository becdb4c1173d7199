import { describe, expect, test } from '@jest/globals';
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
    [6281234567890, '62', '6281234567890'],
  ])('%p with default %s → %s', (input, cc, digits) => {
    expect(normalisePhone(input, cc)).toEqual({ digits, jid: `${digits}@s.whatsapp.net` });
  });

  test.each([undefined, null, '', '   ', {}, []])('%p → Phone number required', (input) => {
    expectError(() => normalisePhone(input, '62'), 'Phone number required');
  });

  test.each(['12', '62abc', '+', '0', '+0812345678', '1234567890123456', '+999123456789', '62812345678901234', '62812@s.whatsapp.net'])(
    '%p → Invalid phone number',
    (input) => {
      expectError(() => normalisePhone(input, '62'), 'Invalid phone number');
    },
  );
});
