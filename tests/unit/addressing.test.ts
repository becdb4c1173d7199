import { describe, expect, test } from '@jest/globals';
import { readAddressing } from '../../src/http/addressing.js';
import { AppError } from '../../src/errors/app-error.js';

const read = (body: unknown) => readAddressing(body, '62');
const codeOf = (body: unknown): string => {
  try {
    read(body);
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'none';
};

describe('readAddressing', () => {
  test('a phone in any contract format, also as a JSON number', () => {
    expect(read({ phone: '0812-3456-7890' })).toMatchObject({ to: { kind: 'phone', phone: { digits: '6281234567890' } }, echo: { phone: '6281234567890' } });
    expect(read({ phone: 6281234567890 }).echo).toEqual({ phone: '6281234567890' });
  });

  test('a LID (any case, spaces around) is a LID recipient', () => {
    expect(read({ phone: ' 123456789012345@LID ' })).toMatchObject({ to: { kind: 'lid', jid: '123456789012345@lid' }, echo: { phone: '123456789012345@lid' } });
  });

  test('a group by JID or digits; an empty phone beside it counts as absent', () => {
    expect(read({ group: '120363012345678901' })).toMatchObject({
      to: { kind: 'group', jid: '120363012345678901@g.us' },
      echo: { group: '120363012345678901@g.us' },
    });
    expect(read({ phone: '', group: '120363012345678901@g.us' }).to).toEqual({ kind: 'group', jid: '120363012345678901@g.us' });
  });

  test('both, neither, bad values', () => {
    expect(codeOf({ phone: '6281234567890', group: '120363012345678901' })).toBe('RECIPIENT_CONFLICT');
    expect(codeOf({})).toBe('PHONE_REQUIRED');
    expect(codeOf(null)).toBe('PHONE_REQUIRED');
    expect(codeOf({ phone: '   ' })).toBe('PHONE_REQUIRED');
    expect(codeOf({ group: 42 })).toBe('INVALID_GROUP_ID');
    expect(codeOf({ phone: '12@lid' })).toBe('INVALID_PHONE');
  });

  test('options: reply_to trimmed; mentions as an array or comma-separated, normalised and de-duplicated', () => {
    const { options } = read({ phone: '6281234567890', reply_to: ' 3EB0ABC ', mentions: '081234567890, +6281234567891,6281234567890,,123456789012345@lid' });
    expect(options).toEqual({
      replyTo: '3EB0ABC',
      mentions: ['6281234567890@s.whatsapp.net', '6281234567891@s.whatsapp.net', '123456789012345@lid'],
    });
    expect(read({ phone: '6281234567890', mentions: [6281234567890] }).options.mentions).toEqual(['6281234567890@s.whatsapp.net']);
    expect(read({ phone: '6281234567890', reply_to: '', mentions: [] }).options).toEqual({});
  });

  test('bad options', () => {
    expect(codeOf({ phone: '6281234567890', reply_to: 'two words' })).toBe('INVALID_REPLY_TO');
    expect(codeOf({ phone: '6281234567890', reply_to: 12 })).toBe('INVALID_REPLY_TO');
    expect(codeOf({ phone: '6281234567890', mentions: { a: 1 } })).toBe('INVALID_MENTIONS');
    expect(codeOf({ phone: '6281234567890', mentions: ['12'] })).toBe('INVALID_MENTIONS');
    expect(codeOf({ phone: '6281234567890', mentions: Array(257).fill('6281234567890') })).toBe('INVALID_MENTIONS');
  });
});
