import { describe, expect, test } from '@jest/globals';
import { NumberLookupCache } from '../../src/numbers/number-lookup-cache.js';

const HOUR = 3_600_000;
const yes = (phone: string) => ({ phone, exists: true, jid: `${phone}@s.whatsapp.net`, lid: '1@lid' });
const no = (phone: string) => ({ phone, exists: false });

function cache(options: Partial<{ positiveTtlMs: number; negativeTtlMs: number; maxEntries: number }> = {}) {
  const clock = { now: 0 };
  const c = new NumberLookupCache({ positiveTtlMs: 24 * HOUR, negativeTtlMs: HOUR, maxEntries: 100, ...options, now: () => clock.now });
  return { c, clock };
}

describe('NumberLookupCache', () => {
  test('a "yes" lasts the positive TTL, a "no" the shorter negative one', () => {
    const { c, clock } = cache();
    c.set(yes('6281234567890'));
    c.set(no('6281298765432'));
    clock.now = HOUR - 1;
    expect(c.get('6281234567890')).toEqual(yes('6281234567890'));
    expect(c.get('6281298765432')).toEqual(no('6281298765432'));
    clock.now = HOUR;
    expect(c.get('6281298765432')).toBeUndefined();
    expect(c.get('6281234567890')).toBeDefined();
    clock.now = 24 * HOUR;
    expect(c.get('6281234567890')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test('a TTL of 0 keeps nothing of that kind, and drops an earlier answer', () => {
    const { c } = cache({ negativeTtlMs: 0 });
    c.set(yes('6281234567890'));
    c.set(no('6281234567890'));
    expect(c.get('6281234567890')).toBeUndefined();
  });

  test('bounded: past maxEntries the entry stored longest ago goes first', () => {
    const { c } = cache({ maxEntries: 3 });
    for (const phone of ['1', '2', '3']) c.set(yes(phone));
    c.set(yes('1')); // stored again: now the newest
    c.set(yes('4'));
    expect(c.size).toBe(3);
    expect(['1', '2', '3', '4'].map((p) => c.get(p) !== undefined)).toEqual([true, false, true, true]);
  });
});
