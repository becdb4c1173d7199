/**
 * Linking by pairing code from the console, in headless Chromium: the operator enters the phone's
 * number on the Link page, the page shows the code WhatsApp accepted, the (emulated) phone types
 * it, and the page turns into the linked account.
 *
 * Needs the pairing-code work of issue 11 (branch `linking`): POST /api/pairing-code and the
 * emulator playing the primary device's side of the exchange. On a branch without them this file
 * fails by design; adjust `phoneTypesCode` below if the emulator names its method differently.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'puppeteer-core';
import type { Emulator } from '../../emulator/index.js';
import { E2EHarness } from '../e2e/support/harness.js';
import { isShown, launchBrowser, logIn, screenshot, textOf, waitForText, waitVisible, type TestBrowser } from './support/browser.js';

const KEY = 'console-pairing-key-8d41c0a2f6e3';

/** The emulated phone types the code under Linked devices → Link with phone number instead. */
async function phoneTypesCode(emu: Emulator, code: string): Promise<void> {
  const phone = emu as unknown as { enterPairingCode?: (code: string) => Promise<unknown> };
  if (typeof phone.enterPairingCode !== 'function') throw new Error('the emulator has no enterPairingCode(code): merge the pairing-code branch');
  await phone.enterPairingCode(code);
}

describe('linking by pairing code from the console', () => {
  let h: E2EHarness;
  let chromium: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    h = await E2EHarness.start({ env: { API_KEY: KEY } });
    chromium = await launchBrowser();
    page = await chromium.browser.newPage();
    await page.goto(`${h.gateway.url}/console`);
    await logIn(page, KEY);
    await waitVisible(page, '#pairing-form');
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await h?.stop();
  });

  test('a refused request shows the API error message on the page', async () => {
    await page.type('#pairing-phone', 'not a number');
    await page.click('#pairing-form button[type=submit]');
    await waitForText(page, '#pairing-message', /Invalid phone number/);
    expect(await page.$eval('#pairing-code', (node) => (node as unknown as { hidden: boolean }).hidden)).toBe(true);
  });

  test('the code shown on the page, typed on the phone, links the gateway', async () => {
    await page.$eval('#pairing-phone', (input) => void ((input as unknown as { value: string }).value = ''));
    await page.type('#pairing-phone', h.emu.account.phone);
    await page.click('#pairing-form button[type=submit]');
    await waitVisible(page, '#pairing-code');
    await waitForText(page, '#pairing-message', /Enter this code on the phone/);
    const shown = await textOf(page, '#pairing-code');
    expect(shown).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await screenshot(page, 'link-pairing-code');

    await phoneTypesCode(h.emu, shown.replace('-', ''));
    await waitVisible(page, '#link-linked', 20_000);
    expect(await isShown(page, '#link-unlinked')).toBe(false);
    expect(await textOf(page, '#link-account')).toBe(`+${h.emu.account.phone}`);
    expect(h.gateway.transport.status().connected).toBe(true);
  });
});
