/**
 * `npm run sandbox` as a newcomer runs it (the built dist/src/sandbox.js): it links itself to the
 * in-process emulator, sends reach the emulated phone and show at /api/sandbox/messages, every
 * response says sandbox, and a production data folder is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

const SANDBOX = path.resolve('dist/src/sandbox.js');

describe('sandbox mode', () => {
  let root: string;
  let child: ChildProcess | undefined;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(SANDBOX)) throw new Error(`${SANDBOX} is missing: run \`npm run build\` first (npm test does)`);
    root = await mkdtemp(path.join(tmpdir(), 'wa-sandbox-'));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [SANDBOX], {
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: path.join(root, 'data'), UPLOAD_DIR: path.join(root, 'uploads'), LOG_LEVEL: 'warn' },
      cwd: root,
      stdio: 'ignore',
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  });

  test('links itself, delivers to the emulated phone, and says sandbox everywhere', async () => {
    let status: { bot_connected?: boolean; sandbox?: boolean } = {};
    for (let i = 0; i < 300 && !status.bot_connected; i++) {
      status = await fetch(`${base}/api/status`)
        .then((r) => r.json() as Promise<typeof status>)
        .catch(() => ({}));
      if (!status.bot_connected) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toMatchObject({ bot_connected: true, sandbox: true });

    const info = await fetch(`${base}/`);
    expect(info.headers.get('x-gateway-mode')).toBe('sandbox');
    expect(await info.json()).toMatchObject({ sandbox: true, environment: 'sandbox' });

    const sent = await fetch(`${base}/api/send-message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ phone: '081234567890', message: 'Hello sandbox' }),
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get('x-gateway-mode')).toBe('sandbox');
    const body = (await sent.json()) as { data: { message_id: string; sandbox: boolean } };
    expect(body.data.sandbox).toBe(true);

    const error = await fetch(`${base}/nope`);
    expect(error.headers.get('x-gateway-mode')).toBe('sandbox');

    let seen: Array<{ id: string; type: string; recipient: string; text: string }> = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      const list = (await (await fetch(`${base}/api/sandbox/messages`)).json()) as { messages: typeof seen };
      seen = list.messages;
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toEqual([expect.objectContaining({ id: body.data.message_id, type: 'text', recipient: '6281234567890', text: 'Hello sandbox' })]);

    // A production store in the same DATA_DIR is never created or touched by the sandbox.
    expect(existsSync(path.join(root, 'data', 'gateway.db'))).toBe(false);
    expect(existsSync(path.join(root, 'data', 'sandbox', 'gateway.db'))).toBe(true);
  }, 30_000);
});
