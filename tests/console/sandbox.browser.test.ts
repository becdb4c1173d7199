/**
 * The console in sandbox mode, as a newcomer meets it: `npm run sandbox` (the built
 * dist/src/sandbox.js, so the production layout serves the console's files), no API key, a
 * browser on /console. It says loudly that it is open and a sandbox, shows the emulated phone as
 * the linked account, and a text sent from the Send page reaches that phone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'puppeteer-core';
import { waitFor } from '../e2e/support/harness.js';
import { isShown, launchBrowser, screenshot, textOf, waitForText, waitVisible, type TestBrowser } from './support/browser.js';

const SANDBOX = path.resolve('dist/src/sandbox.js');

describe('console in sandbox mode', () => {
  let root: string;
  let child: ChildProcess | undefined;
  let base: string;
  let chromium: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(SANDBOX)) throw new Error(`${SANDBOX} is missing: run \`npm run build\` first (npm test does)`);
    root = await mkdtemp(path.join(tmpdir(), 'wa-console-sandbox-'));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [SANDBOX], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(root, 'data'),
        UPLOAD_DIR: path.join(root, 'uploads'),
        LOG_LEVEL: 'warn',
      },
      cwd: root,
      stdio: 'ignore',
    });
    await waitFor(
      () =>
        fetch(`${base}/api/health`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
      'the sandbox to listen',
      100,
    );
    chromium = await launchBrowser();
    page = await chromium.browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('says it is open and a sandbox, and shows the emulated phone as the linked account', async () => {
    await page.goto(`${base}/console`);
    await waitVisible(page, '#open-banner');
    await waitVisible(page, '#sandbox-banner');
    expect(await textOf(page, '#open-banner')).toContain('open to anyone');
    // No key configured: no log-in step, no cookie.
    await waitVisible(page, '#link-linked', 20_000);
    expect(await isShown(page, '#link-unlinked')).toBe(false);
    expect(await textOf(page, '#link-account')).toBe('+6281111111111');
    expect(await page.cookies()).toEqual([]);
    await screenshot(page, 'sandbox-link');
  });

  test('a text sent from the Send page reaches the emulated phone', async () => {
    await page.goto(`${base}/console#/send`);
    await waitVisible(page, '#send-text');
    await page.type('#send-text input[name=phone]', '081234567890');
    await page.type('#send-text textarea[name=message]', 'Trying the sandbox');
    await page.click('#send-text button[type=submit]');
    await waitForText(page, '#send-summary', /Text message sent successfully/);
    const received = (await (await fetch(`${base}/api/sandbox/messages`)).json()) as { messages: Array<{ recipient: string; text: string | null }> };
    expect(received.messages).toEqual(expect.arrayContaining([expect.objectContaining({ recipient: '6281234567890', text: 'Trying the sandbox' })]));
  });
});
