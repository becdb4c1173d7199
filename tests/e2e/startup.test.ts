/**
 * The production entry point (the built dist/src/main.js that `npm start` runs): a bad
 * configuration stops it with one message naming every problem and exit code 78, without
 * echoing secrets; a good one serves /api/health and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

const MAIN = path.resolve('dist/src/main.js');
let root: string;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  root = await mkdtemp(path.join(tmpdir(), 'wa-startup-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, DATA_DIR: path.join(root, 'data'), UPLOAD_DIR: path.join(root, 'uploads'), SESSION_DIR: path.join(root, 'session'), ...env },
    cwd: root, // no .env file there: only the given environment counts
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { child, exited, output: () => output };
}

describe('npm start entry point', () => {
  test('refuses a bad configuration with every problem named and exit code 78', async () => {
    const { exited } = run({ PORT: 'eighty', RATE_LIMIT_MAX: '-3', API_KEY: 'tiny-secret', WEBHOOK_URL: 'http://127.0.0.1:9/hook' });
    const { code, output } = await exited;
    expect(code).toBe(78);
    for (const key of ['PORT', 'RATE_LIMIT_MAX', 'API_KEY', 'WEBHOOK_SECRET']) expect(output).toContain(key);
    expect(output).not.toContain('tiny-secret');
  });

  test('starts, answers /api/health while WhatsApp is unreachable, and stops on SIGTERM', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    // Nothing listens on port 9: the WhatsApp connection fails and retries while HTTP serves.
    const { child, exited } = run({ PORT: String(port), HOST: '127.0.0.1', WA_WS_URL: 'ws://127.0.0.1:9/ws/chat', LOG_LEVEL: 'warn' });
    let health: { status?: string; services?: { whatsapp_bot?: string } } = {};
    for (let i = 0; i < 200; i++) {
      try {
        health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as typeof health;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(health).toMatchObject({ status: 'ok', services: { whatsapp_bot: 'disconnected' } });
    child.kill('SIGTERM');
    const { code } = await exited;
    expect(code).toBe(0);
  }, 20_000);
});
