/**
 * `npm run sandbox` as a newcomer runs it (the built dist/src/sandbox.js): it links itself to the
 * in-process emulator, sends reach the emulated phone and show at /api/sandbox/messages, every
 * response says sandbox, and a production data folder is left alone. After a logout the linking
 * flows can be tried by hand: the emulated phone types a pairing code or scans the QR.
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

  const post = (path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  async function waitForState(predicate: (s: { bot_connected: boolean; connection: { state: string } }) => boolean) {
    for (let i = 0; i < 300; i++) {
      const status = (await (await fetch(`${base}/api/status`)).json()) as { bot_connected: boolean; connection: { state: string } };
      if (predicate(status)) return status;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the sandbox never reached the expected state');
  }

  test('a new session links itself to an emulated phone of its own and sends through it', async () => {
    const created = await fetch(`${base}/api/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'sales' }),
    });
    expect(created.status).toBe(201);
    let status: { bot_connected?: boolean; connection?: { account?: { jid: string } | null } } = {};
    for (let i = 0; i < 300 && !status.bot_connected; i++) {
      status = (await (await fetch(`${base}/api/sessions/sales`)).json()) as typeof status;
      if (!status.bot_connected) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status.bot_connected).toBe(true);
    const main = (await (await fetch(`${base}/api/status`)).json()) as typeof status;
    expect(status.connection?.account?.jid).not.toBe(main.connection?.account?.jid);
    const sent = await fetch(`${base}/api/sessions/sales/send-message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ phone: '6281234567890', message: 'from the sales session' }),
    });
    expect(sent.status).toBe(200);
  });

  test('after a logout it stays unlinked: the emulated phone types a pairing code (a wrong one first)', async () => {
    expect((await post('/api/logout')).status).toBe(200);
    await waitForState((s) => s.connection.state === 'awaiting_qr');
    // Not linked again by itself.
    await new Promise((r) => setTimeout(r, 300));
    expect((await waitForState(() => true)).bot_connected).toBe(false);

    const first = (await (await post('/api/pairing-code', { phone: '6281111111111' })).json()) as { data: { pairing_code: string } };
    const code = first.data.pairing_code;
    const wrong = await post('/api/sandbox/enter-pairing-code', { code: code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}` });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ status: 'error', code: 'SANDBOX_LINK_FAILED' });
    expect((await post('/api/sandbox/enter-pairing-code', { code: 'nope' })).status).toBe(400);

    const second = (await (await post('/api/pairing-code', { phone: '6281111111111' })).json()) as { data: { pairing_code: string } };
    const typed = second.data.pairing_code;
    const entered = await post('/api/sandbox/enter-pairing-code', { code: `${typed.slice(0, 4)}-${typed.slice(4)}` });
    expect(entered.status).toBe(200);
    expect(await entered.json()).toMatchObject({
      status: 'success',
      sandbox: true,
      data: { device: expect.stringMatching(/^6281111111111:\d+@s\.whatsapp\.net$/) },
    });
    await waitForState((s) => s.bot_connected);
  }, 30_000);

  test('after a logout the emulated phone can scan the QR instead', async () => {
    expect((await post('/api/logout')).status).toBe(200);
    await waitForState((s) => s.connection.state === 'awaiting_qr');
    const scanned = await post('/api/sandbox/scan-qr');
    expect(scanned.status).toBe(200);
    await waitForState((s) => s.bot_connected);
    // Connected: nothing to scan.
    const again = await post('/api/sandbox/scan-qr');
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: 'SANDBOX_LINK_FAILED' });
  }, 30_000);
});
