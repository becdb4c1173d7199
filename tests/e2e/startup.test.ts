/**
 * The production entry point (the built dist/src/main.js that `npm start` runs): a bad
 * configuration stops it with one message naming every problem and exit code 78, without
 * echoing secrets; a good one serves /api/health and stops cleanly on SIGTERM. No request can
 * end it (issue 8), and its last-resort policy holds: an unhandled rejection is logged and it
 * keeps serving, an uncaught exception ends it with code 1 for systemd to restart.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { multipart, postHead, rawExchange } from '../support/raw-http.js';

const MAIN = path.resolve('dist/src/main.js');
let root: string;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  root = await mkdtemp(path.join(tmpdir(), 'wa-startup-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function run(env: Record<string, string>, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
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

  test('no request can end it: the issue-8 uploads, a dropped connection and parser errors leave it serving', async () => {
    const port = await freePort();
    // The outbox accepts sends while WhatsApp is away, so the upload endpoints read their bodies.
    const { child, exited, output } = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      WA_WS_URL: 'ws://127.0.0.1:9/ws/chat',
      LOG_LEVEL: 'warn',
      QUEUE_WHEN_DISCONNECTED: 'true',
    });
    await waitForHealth(port);
    const url = `http://127.0.0.1:${port}`;
    const forms: Array<[string, (form: FormData, file: Blob, name: string) => void]> = [
      ['two files', (f, file, name) => (f.append('file', file, name), f.append('file', file, name))],
      ['a file-typed caption', (f, file, name) => (f.append('file', file, name), f.append('caption', new Blob(['x']), 'c.txt'))],
      ['a caption over 64 KB after the file', (f, file, name) => (f.append('file', file, name), f.append('caption', 'c'.repeat(70_000)))],
      ['21 extra fields', (f, file, name) => (f.append('file', file, name), Array.from({ length: 21 }, (_, i) => f.append(`x${i}`, 'y')))],
    ];
    for (const [endpoint, ext] of [
      ['/api/send-image', 'png'],
      ['/api/send-document', 'pdf'],
      ['/api/send-audio', 'mp3'],
    ] as const) {
      const name = `a.${ext}`;
      for (const [what, build] of forms) {
        const form = new FormData();
        form.append('phone', '6281234567890');
        build(form, new Blob([SAMPLE_FILES[ext]!]), name);
        const res = await fetch(url + endpoint, { method: 'POST', body: form });
        const answer = (await res.json()) as { status: string; code: string };
        expect([what, res.status, answer.status]).toEqual([what, 400, 'error']);
        expect(answer.code).not.toBe('FILE_CONTENT_MISMATCH');
      }
      const boundary = 'b0undary';
      const body = multipart(boundary, [
        { name: 'phone', value: '6281234567890' },
        { name: 'file', value: SAMPLE_FILES[ext]!, filename: name },
        { name: 'caption', value: 'z'.repeat(3000) },
      ]);
      const head = postHead(endpoint, `multipart/form-data; boundary=${boundary}`, body.length);
      // The body ends inside the caption after the file; then a client drops the connection there.
      const truncated = await rawExchange(port, { pieces: [head, body.subarray(0, body.length - 1500)] });
      expect(truncated?.status).toBe(400);
      expect(await rawExchange(port, { pieces: [head, body.subarray(0, body.length - 1500)], abort: true })).toBeUndefined();
    }
    const framing = await rawExchange(port, { pieces: ['POST /api/send-message HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'] });
    expect(framing?.status).toBe(400);
    expect(JSON.parse(framing!.body)).toMatchObject({ status: 'error', code: 'MALFORMED_REQUEST' });

    await waitForHealth(port);
    expect(output()).not.toMatch(/BUG:|unhandled error/);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 60_000);

  test('last resort: keeps serving after an unhandled rejection, exits 1 on an uncaught exception', async () => {
    const port = await freePort();
    // Planted faults, fired on demand once the gateway serves: SIGUSR2 rejects a promise nobody
    // awaits, SIGHUP throws out of a timer callback.
    const plant =
      'process.on("SIGUSR2",()=>{Promise.reject(new Error("planted rejection"))});process.on("SIGHUP",()=>setTimeout(()=>{throw new Error("planted exception")}))';
    const { child, exited, output } = run({ PORT: String(port), HOST: '127.0.0.1', WA_WS_URL: 'ws://127.0.0.1:9/ws/chat', LOG_LEVEL: 'warn' }, [
      `--import=data:text/javascript,${encodeURIComponent(plant)}`,
    ]);
    await waitForHealth(port);
    child.kill('SIGUSR2');
    for (let i = 0; i < 100 && !output().includes('planted rejection'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output()).toMatch(/"level":50.*BUG: unhandled promise rejection/);
    await waitForHealth(port);
    child.kill('SIGHUP');
    const { code, output: all } = await exited;
    expect(code).toBe(1);
    expect(all).toMatch(/"level":60.*planted exception|planted exception.*"level":60/);
  }, 30_000);

  test('a start that fails (port taken) ends the process with code 1', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const { exited } = run({ PORT: String(port), HOST: '127.0.0.1', WA_WS_URL: 'ws://127.0.0.1:9/ws/chat', LOG_LEVEL: 'warn' });
    const { code, output } = await exited;
    await new Promise((r) => taken.close(r));
    expect(code).toBe(1);
    expect(output).toContain('gateway failed to start');
    expect(output).toContain('EADDRINUSE');
  }, 30_000);
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

async function waitForHealth(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway on port ${port} did not serve /api/health`);
}
