/**
 * The sessions benchmark's fixture: N emulated accounts in the harness process (the emulator
 * serves one account each), and the production gateway as a child process (dist/bench/gateway-child.js,
 * startGateway as src/main.ts runs it) whose session `default` links to the first and sessions
 * s1…s(N-1) to the others. Every call goes through the gateway's HTTP API with the admin key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { freePort, sleep, waitFor } from '../ceiling/process-stats.js';

const CHILD = resolve('dist/bench/gateway-child.js');
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
/** How many sessions link at once: enough to keep linking short, few enough not to time out the QR scans. */
const LINK_CONCURRENCY = 6;

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface Fleet {
  /** Session names, default first; `emulators[i]` is `sessions[i]`'s account. */
  sessions: string[];
  emulators: Emulator[];
  pid: number;
  /** /api/… for default, /api/sessions/<name>/… for the others. */
  base(session: string): string;
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply>;
  /** A GET whose answer is not JSON (GET /metrics). */
  text(path: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export async function startEmulators(count: number): Promise<Emulator[]> {
  const emulators: Emulator[] = [];
  for (let i = 0; i < count; i++) {
    // A distinct account per session, as distinct phones would be.
    const n = String(i).padStart(4, '0');
    emulators.push(
      await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: `6282200${n}000`, lid: `880000${n}000`, pushName: `bench ${i}` } }),
    );
  }
  return emulators;
}

function httpClient(port: number) {
  const agent = new Agent({ keepAlive: true });
  const raw = (method: 'GET' | 'POST', path: string, body?: unknown, retried = false): Promise<{ status: number; text: string }> =>
    new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = { 'X-API-Key': ADMIN_KEY };
      if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
      const req = request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server closed an idle keep-alive socket just as this request went out on it: the
        // request was never read, so sending it again on a fresh socket is safe (Node's advice).
        // A GET is safe to repeat whatever the socket.
        if ((req.reusedSocket || method === 'GET') && error.code === 'ECONNRESET' && !retried) raw(method, path, body, true).then(resolvePromise, reject);
        else reject(error);
      });
      req.end(payload);
    });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> => {
    const res = await raw(method, path, body);
    return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
  };
  const text = async (path: string) => {
    const res = await raw('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return res.text;
  };
  return { call, text, close: () => agent.destroy() };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return Promise.race([exited, sleep(10_000)]).then(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** Starts the gateway child with `emulators.length` sessions' endpoints (none linked yet). */
export async function startFleet(emulators: Emulator[], root: string, env: Record<string, string> = {}): Promise<Fleet> {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const sessions = emulators.map((_, i) => (i === 0 ? 'default' : `s${i}`));
  const endpointsFile = join(root, 'endpoints.json');
  writeFileSync(
    endpointsFile,
    JSON.stringify(Object.fromEntries(sessions.map((s, i) => [s, { wsUrl: emulators[i]!.wsUrl, mediaCaPem: emulators[i]!.mediaCaPem }]))),
  );
  const port = await freePort();
  const logFile = join(root, 'gateway.log');
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [CHILD], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEWAY_BENCH_ENDPOINTS: endpointsFile,
      API_KEY: ADMIN_KEY,
      DATA_DIR: join(root, 'data'),
      UPLOAD_DIR: join(root, 'uploads'),
      SESSION_DIR: join(root, 'session'),
      TMPDIR: join(root, 'tmp'),
      // Production defaults otherwise (request log at info, rate limit on), with a budget the run cannot exhaust.
      RATE_LIMIT_MAX: '1000000',
      ...env,
    },
    // dotenv is not loaded by the child, but keep a developer's working directory out of the run anyway.
    cwd: root,
    // A file, not a pipe: the gateway logs synchronously, and a pipe the busy harness drains late
    // would stall the gateway's event loop and show up as its latency.
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const tail = () => {
    const text = readFileSync(logFile, 'utf8');
    const ended = child.exitCode !== null || child.signalCode !== null ? `\n(gateway exited: code ${child.exitCode}, signal ${child.signalCode})` : '';
    return text.slice(-8000) + ended;
  };
  const http = httpClient(port);
  const fleet: Fleet = {
    sessions,
    emulators,
    pid: child.pid!,
    base: (session) => (session === 'default' ? '/api' : `/api/sessions/${session}`),
    call: http.call,
    text: http.text,
    output: tail,
    stop: async () => {
      http.close();
      await stopChild(child);
    },
  };
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}):\n${tail()}`);
      return (await fleet.call('GET', '/api/status').catch(() => undefined))?.status === 200;
    },
    60_000,
    'the gateway to listen',
  );
  return fleet;
}

async function linkOne(fleet: Fleet, index: number): Promise<void> {
  const session = fleet.sessions[index]!;
  if (session !== 'default') {
    const created = await fleet.call('POST', '/api/sessions', { name: session });
    // 409: a repeated request (after a reset connection) found the session the first one made.
    if (created.status !== 201 && created.status !== 409)
      throw new Error(`POST /api/sessions ${session}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  }
  const base = fleet.base(session);
  const qr = await waitFor(
    async () => {
      const res = await fleet.call('GET', `${base}/qr`);
      return res.status === 200 ? (res.body.qr as string) : undefined;
    },
    60_000,
    `a QR for ${session}`,
  );
  await fleet.emulators[index]!.scanQr(qr);
  const statusPath = session === 'default' ? '/api/status' : base;
  await waitFor(async () => (await fleet.call('GET', statusPath)).body.bot_connected === true, 60_000, `${session} to connect`);
}

/** Links every session (default first, then LINK_CONCURRENCY at a time); returns the seconds it took. */
export async function linkAll(fleet: Fleet): Promise<number> {
  const started = Date.now();
  await linkOne(fleet, 0);
  let next = 1;
  const worker = async () => {
    while (next < fleet.sessions.length) await linkOne(fleet, next++);
  };
  await Promise.all(Array.from({ length: LINK_CONCURRENCY }, worker));
  return (Date.now() - started) / 1000;
}

/** Every session reports bot_connected (GET /api/sessions lists `connected` for each). */
export async function connectedCount(fleet: Fleet): Promise<number> {
  const res = await fleet.call('GET', '/api/sessions');
  const list = (res.body.data ?? []) as Array<{ name: string; connected: boolean }>;
  return list.filter((s) => s.connected).length;
}
