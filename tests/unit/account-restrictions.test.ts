import { afterEach, expect, test } from '@jest/globals';
import { AccountRestrictions } from '../../src/messaging/account-restrictions.js';
import { tempDatabase } from '../store/temp-db.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

test('during a 463 restriction a group is an established chat: its sends are not held; a new contact is', () => {
  const store = tempDatabase();
  cleanup = store.cleanup;
  const now = Date.parse('2026-01-01T00:00:00Z');
  const restrictions = new AccountRestrictions(store.db, () => now);
  restrictions.restrict({ code: 463, reason: 'reach-out timelock', messageId: '3EB0AAAA', at: new Date(now).toISOString() });
  expect(restrictions.heldUntil('120363012345678901@g.us')).toBeNull();
  expect(() => restrictions.assertMaySend('120363012345678901@g.us')).not.toThrow();
  expect(restrictions.heldUntil('6281234567890@s.whatsapp.net')).toBeGreaterThan(now);
});
