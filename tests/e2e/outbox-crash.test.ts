/**
 * The outbox survives a kill -9: the gateway runs as a real child process (the built
 * dist/src/main.js, exactly what `npm start` runs) against the emulator; messages queued while
 * WhatsApp is away start draining, the process is SIGKILLed mid-queue, and a new process on the
 * same data folder delivers the rest: every message once by WhatsApp id (the id a resend reuses,
 * which is how WhatsApp and phones recognise the same message), in the order accepted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { routeLibsignalConsole } from '../../src/whatsapp/baileys/libsignal-console.js';

const MAIN = path.resolve('dist/src/main.js');
const RECIPIENT = '6281234567890';
/** Messages queued before the kill (issue 9: a kill -9 with 100 queued messages delivers each once). */
const QUEUED = 100;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('outbox across a kill -9', () => {
  let emu: Emulator;
  let root: string;
  let port: number;
  const children: ChildProcess[] = [];
  const logs: string[] = [];

  const base = () => `http://127.0.0.1:${port}`;
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(base() + p, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    // Loosely typed on purpose: the test reads a few fields of several response shapes.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const statusOf = () => api('GET', '/api/status').catch(() => undefined);

  function startGatewayProcess(): ChildProcess {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        WA_WS_URL: emu.wsUrl,
        DATA_DIR: path.join(root, 'data'),
        UPLOAD_DIR: path.join(root, 'uploads'),
        SESSION_DIR: path.join(root, 'session'),
        QUEUE_WHEN_DISCONNECTED: 'true',
        // Slow enough that the kill lands between queued sends, fast enough for a quick test.
        PACING_RECIPIENT_INTERVAL_MS: '20',
        PACING_MAX_PER_MINUTE: '0',
        RATE_LIMIT_ENABLED: 'false',
        RECONNECT_BASE_DELAY_MS: '50',
        RECONNECT_MAX_DELAY_MS: '200',
        WA_QUERY_TIMEOUT_MS: '5000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    // The gateway runs in a child process: nothing in this one keeps the emulator's libsignal
    // session dumps (after the restart the phones re-key) out of the test output.
    routeLibsignalConsole(pino({ level: 'silent' }));
    emu = await startEmulator();
    root = await mkdtemp(path.join(tmpdir(), 'wa-crash-'));
    port = await freePort();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await emu?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('queued messages are delivered once each, in order, after the gateway is killed mid-queue', async () => {
    const first = startGatewayProcess();
    const qr = await waitFor(async () => (await api('GET', '/api/qr').catch(() => undefined))?.body.qr as string | undefined, 15_000, 'a QR');
    await emu.scanQr(qr);
    await waitFor(async () => (await statusOf())?.body.bot_connected === true, 15_000, 'connected');

    await emu.goAway();
    await waitFor(async () => (await statusOf())?.body.bot_connected === false, 5000, 'disconnected');
    const accepted: Array<{ id: string; message_id: string; text: string }> = [];
    for (let i = 1; i <= QUEUED; i++) {
      const text = `queued ${i}`;
      const res = await api('POST', '/api/send-message', { phone: RECIPIENT, message: text });
      expect(res.status).toBe(202);
      accepted.push({ id: res.body.data.id, message_id: res.body.data.message_id, text });
    }
    expect(new Set(accepted.map((a) => a.message_id)).size).toBe(QUEUED);

    await emu.comeBack();
    await emu.waitForMessage((m) => m.id === accepted[1]!.message_id && !m.isOwnDeviceCopy, 15_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeRestart = new Set(emu.messages.filter((m) => !m.isOwnDeviceCopy).map((m) => m.id));
    expect(beforeRestart.size).toBeLessThan(QUEUED); // the kill really landed mid-queue

    startGatewayProcess();
    for (const a of accepted) await emu.waitForMessage((m) => m.id === a.message_id && !m.isOwnDeviceCopy, 20_000);

    const toRecipient = emu.messages.filter((m) => !m.isOwnDeviceCopy && m.to === `${RECIPIENT}@s.whatsapp.net`);
    // Nothing under an id we did not hand out, nothing lost, texts intact, order of acceptance kept.
    expect(toRecipient.every((m) => accepted.some((a) => a.message_id === m.id && a.text === m.text))).toBe(true);
    const firstArrival = [...new Set(toRecipient.map((m) => m.id))];
    expect(firstArrival).toEqual(accepted.map((a) => a.message_id));
    // A resend after the crash may repeat only the one message that was in flight, under its id,
    // and the phone shows it once.
    expect(toRecipient.length - firstArrival.length).toBeLessThanOrEqual(1);
    expect(toRecipient.filter((m) => !m.duplicate)).toHaveLength(QUEUED);

    const records = await waitFor(
      async () => {
        const list = await api('GET', '/api/messages?limit=200').catch(() => undefined);
        const items = (list?.body.data ?? []) as Array<{ id: string; status: string }>;
        return items.length === QUEUED && items.every((r) => r.status !== 'queued') ? items : undefined;
      },
      10_000,
      'every record past queued',
    );
    expect(records.every((r) => r.status !== 'failed')).toBe(true);
  }, 120_000);
});
