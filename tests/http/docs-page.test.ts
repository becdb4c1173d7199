/**
 * GET /docs: the reference page, served by the gateway itself. Rendered in headless Chromium
 * (Debian's /usr/bin/chromium through puppeteer-core): it must show the send-message operation
 * from /api/openapi.json, fetch nothing from anywhere but the gateway, and break no CSP rule.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ API_KEY: 'k'.repeat(32) });
});
afterAll(() => t?.cleanup());

describe('GET /docs over HTTP', () => {
  test('is an HTML page with a self-only Content-Security-Policy, public even with a key set', async () => {
    const res = await request(t.app).get('/docs').expect(200);
    expect(res.type).toBe('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // No CDN, no inline script: every script and stylesheet comes from /docs/assets.
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.sort()).toEqual([
      '/docs/assets/docs-init.js',
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui.css',
    ]);
    expect(res.text).not.toMatch(/<script>[^<]/);
  });

  test("serves Swagger UI's files from the installed package, and nothing else of it", async () => {
    await request(t.app)
      .get('/docs/assets/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    await request(t.app).get('/docs/assets/swagger-ui.css').expect(200).expect('Content-Type', /css/);
    const init = await request(t.app).get('/docs/assets/docs-init.js').expect(200);
    expect(init.text).toContain("url: '/api/openapi.json'");
    // The package's demo page (which would load a remote petstore) is not served.
    const demo = await request(t.app).get('/docs/assets/index.html').expect(404);
    expect(demo.body).toMatchObject({ status: 'error', code: 'NOT_FOUND' });
    await request(t.app).get('/docs/assets/../package.json').expect(404);
  });
});

describe('GET /docs in headless Chromium', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = t.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('renders the send-message operation from the OpenAPI document, offline and within the CSP', async () => {
    const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'wa-docs-chromium-'));
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const elsewhere: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      page.on('request', (r) => {
        const url = r.url();
        if (!url.startsWith(base) && !url.startsWith('data:')) elsewhere.push(url);
      });

      await page.goto(`${base}/docs`, { waitUntil: 'networkidle0', timeout: 60_000 });
      const summary = await page.waitForSelector('#operations-Sending-postApiSendMessage .opblock-summary-control', { timeout: 60_000 });
      // Strings, not functions: they run in the page, and this project's TypeScript has no DOM types.
      const text = (await page.evaluate('document.body.innerText')) as string;
      expect(text).toContain('/api/send-message');
      expect(text).toContain('Send text message');
      expect(text).toContain('WhatsApp Gateway API');

      // Opening the operation shows v2.0.0's example request.
      await summary!.click();
      await page.waitForFunction("document.body.innerText.includes('Hello from WhatsApp Gateway API!')", { timeout: 30_000 });
      await page.screenshot({ path: path.join(os.tmpdir(), 'wa-docs-page.png'), fullPage: false });

      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
