/**
 * After a text to a contact, Baileys issues our privacy (trusted-contact) token to that contact
 * and remembers when, so that the next texts in the same 7-day bucket skip it. The gateway must
 * keep that memory (see src/whatsapp/baileys/tc-token-writes.ts): without it every text cost one
 * more iq round trip to WhatsApp.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { E2EHarness, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';
let h: E2EHarness;

beforeAll(async () => {
  h = await E2EHarness.start();
  await h.pair();
});

afterAll(async () => {
  await h?.stop();
});

test('texts to one contact issue our privacy token once, not with every text', async () => {
  for (let i = 0; i < 4; i++) await h.sendText(RECIPIENT, `token ${i}`).expect(200);
  await waitFor(() => (h.emu.privacyTokenIssues.length > 0 ? true : undefined), 5000, 'the token to be issued');
  // The issue is fire-and-forget after each stanza: give any further ones time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(h.emu.privacyTokenIssues).toEqual([[`${RECIPIENT}@s.whatsapp.net`]]);
});
