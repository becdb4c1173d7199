/** Group ids: WhatsApp's JID or its digits (and old creator-timestamp ids), nothing else. */
import { describe, expect, test } from '@jest/globals';
import { normaliseGroupId } from '../../src/groups/group-id.js';

describe('normaliseGroupId', () => {
  test.each([
    ['120363012345678901@g.us', '120363012345678901@g.us'],
    ['120363012345678901', '120363012345678901@g.us'],
    [' 120363012345678901 ', '120363012345678901@g.us'],
    ['6281234567890-1612345678@g.us', '6281234567890-1612345678@g.us'],
    ['6281234567890-1612345678', '6281234567890-1612345678@g.us'],
  ])('%s → %s', (given, jid) => expect(normaliseGroupId(given)).toBe(jid));

  test.each(['', 'abc', '1234', '6281234567890@s.whatsapp.net', '123456789@lid', '120363012345678901@g.us.evil', '120363@g.us/x', '１２０３６３０１２３４５'])(
    '%j is no group id',
    (given) => expect(normaliseGroupId(given)).toBeUndefined(),
  );
});
