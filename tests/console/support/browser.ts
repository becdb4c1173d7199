/**
 * Headless Chromium (Debian's package at /usr/bin/chromium, or CHROMIUM_PATH) driven by
 * puppeteer-core, with a fresh profile per launch, and the helpers the console's browser tests
 * share: logging in, reading the QR off the page, screenshots for the README.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
// CommonJS whose typings declare an ES default: under NodeNext the import is module.exports, and
// the decoder is its `default` property (the package sets both).
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const README_SCREENSHOTS = new URL('../../../docs/screenshots/', import.meta.url);

/**
 * Screenshots go to the README's folder only when asked (`UPDATE_SCREENSHOTS=1 npm run jest --
 * tests/console`); otherwise to a temp folder, so a test run leaves the checkout clean.
 */
export const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? README_SCREENSHOTS.pathname : path.join(tmpdir(), 'wa-console-screenshots');

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'wa-console-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    defaultViewport: { width: 1200, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** Waits until the element matching `selector` is shown (not hidden, laid out). */
export async function waitVisible(page: Page, selector: string, timeout = 15_000): Promise<void> {
  await page.waitForSelector(selector, { visible: true, timeout });
}

/** Whether the element takes up space on the page (hidden blocks, and what is inside them, do not). */
export async function isShown(page: Page, selector: string): Promise<boolean> {
  const element = await page.$(selector);
  return (await element?.isVisible()) ?? false;
}

export async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (node) => node.textContent?.trim() ?? '');
}

/** What the functions run inside the page see (the test's tsconfig has no DOM types). */
export interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/** Waits until the text of `selector` matches; on timeout, says what the text was instead. */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 15_000): Promise<string> {
  try {
    const handle = await page.waitForFunction(
      (sel: string, source: string, flags: string) => {
        const text = (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent ?? '';
        return new RegExp(source, flags).test(text) ? text : false;
      },
      { timeout, polling: 100 },
      selector,
      pattern.source,
      pattern.flags,
    );
    return (await handle.jsonValue()) as string;
  } catch (error) {
    const shown = await page.$eval(selector, (node) => node.textContent).catch(() => '(no such element)');
    throw new Error(`${selector} never matched ${pattern} (it shows ${JSON.stringify(shown)})`, { cause: error });
  }
}

/** Logs in on the console's login form with `key`. */
export async function logIn(page: Page, key: string): Promise<void> {
  await waitVisible(page, '#login-key');
  await page.type('#login-key', key);
  await page.click('#login-form button[type=submit]');
}

/**
 * Reads the QR the way a phone would: from the pixels on screen. The element's screenshot is
 * decoded with jsQR; a QR that renders wrongly (cropped, blurred, low contrast) fails here.
 */
export async function scanQrOnPage(page: Page, selector: string): Promise<string> {
  const element = await page.$(selector);
  if (!element) throw new Error(`no ${selector} on the page`);
  const png = PNG.sync.read(Buffer.from(await element.screenshot({ type: 'png' })));
  const code = jsqr.default(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!code) throw new Error('the QR on the page could not be decoded');
  return code.data;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) as `${string}.png`, fullPage: true });
}
