/**
 * The processes the ceiling benchmark compares, each a child of the harness: the production
 * gateway (dist/src/main.js, what `npm start` runs), the bare Baileys socket and the bare Express
 * app. The emulator stays in the harness process and serves both sockets.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import type { Emulator } from '../../emulator/index.js';
import { freePort, sleep, waitFor } from './process-stats.js';

const MAIN = resolve('dist/src/main.js');
const HERE = resolve('dist/bench/ceiling');

export interface Child {
  process: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

function childHandle(child: ChildProcess): Child {
  return {
    process: child,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The gateway

export interface GatewayChild extends Child {
  port: number;
  /** The gateway's stdout/stderr, kept for a failure report (the tail only). */
  output(): string;
  postJson(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  post(path: string, contentType: string, body: Buffer): Promise<{ status: number; body: Record<string, unknown> }>;
  getJson(path: string): Promise<Record<string, unknown> | undefined>;
}

/**
 * `nodeArgs` go before the script, e.g. ['--cpu-prof'] to see where the gateway's time goes;
 * `main`: another build of the gateway (a copy of dist/ from before a change, for an A/B run).
 */
export async function startGatewayChild(
  emu: Emulator,
  root: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  main = MAIN,
): Promise<GatewayChild> {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const caFile = join(root, 'media-ca.pem');
  writeFileSync(caFile, emu.mediaCaPem);
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      WA_WS_URL: emu.wsUrl,
      NODE_EXTRA_CA_CERTS: caFile,
      DATA_DIR: join(root, 'data'),
      UPLOAD_DIR: join(root, 'uploads'),
      SESSION_DIR: join(root, 'session'),
      TMPDIR: join(root, 'tmp'),
      // The production defaults (rate limit on, request log at info), with a budget the load
      // cannot exhaust so every request does the limiter's work and none is refused.
      RATE_LIMIT_MAX: '1000000',
      ...env,
    },
    // dotenv reads .env from the working directory: a developer's own .env must not change the run.
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolvePromise, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method, agent, headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            try {
              resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> });
            } catch (error) {
              reject(error as Error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const handle = childHandle(child);
  return {
    ...handle,
    stop: async () => {
      agent.destroy();
      await handle.stop();
    },
    port,
    output: () => tail,
    postJson: (path, body) => send('POST', path, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(body))),
    post: (path, contentType, body) => send('POST', path, { 'Content-Type': contentType }, body),
    getJson: async (path) => {
      try {
        return (await send('GET', path, {})).body;
      } catch {
        return undefined;
      }
    },
  };
}

export async function linkGateway(gateway: GatewayChild, emu: Emulator): Promise<void> {
  const qr = await waitFor(async () => (await gateway.getJson('/api/qr'))?.qr as string | undefined, 120_000, 'a QR from the gateway');
  await emu.scanQr(qr);
  await waitFor(async () => (await gateway.getJson('/api/status'))?.bot_connected === true, 120_000, 'the gateway to connect');
}

// ---------------------------------------------------------------------------------------------
// The bare socket

export interface BareSocketChild extends Child {
  /** `awaitAck`: each text waits for WhatsApp's server ack before the next (as the gateway's sends do). */
  sendTexts(count: number, jid: string, awaitAck?: boolean): Promise<void>;
  /** Resolves once the delivery receipts of the last sendTexts' texts have been handled (see bare-socket.ts). */
  receipted(): Promise<void>;
  /** Two full collections in the child (its smallest size at rest; see bare-socket.ts). */
  collect(): Promise<void>;
}

/** `nodeArgs` as for the gateway (e.g. ['--cpu-prof']); by default none, not the harness's own. */
export async function startBareSocket(emu: Emulator, nodeArgs: string[] = []): Promise<BareSocketChild> {
  const child = fork(join(HERE, 'bare-socket.js'), [], {
    env: { PATH: process.env.PATH, WA_WS_URL: emu.wsUrl },
    execArgv: nodeArgs,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let open = false;
  const qrs: string[] = [];
  let pending: { resolve: () => void; reject: (e: Error) => void } | undefined;
  let receipts = Promise.resolve();
  let receiptsDone: (() => void) | undefined;
  let collected: (() => void) | undefined;
  child.on('message', (m: { qr?: string; open?: boolean; sent?: number; receipted?: number; collected?: boolean; error?: string }) => {
    if (m.collected) collected?.();
    if (m.qr) qrs.push(m.qr);
    if (m.open) open = true;
    if (m.sent !== undefined) pending?.resolve();
    if (m.receipted !== undefined) receiptsDone?.();
    if (m.error) pending?.reject(new Error(`bare socket: ${m.error}`));
  });
  const qr = await waitFor(() => qrs[0], 120_000, 'a QR from the bare socket');
  await emu.scanQr(qr);
  await waitFor(() => open, 120_000, 'the bare socket to connect');
  return {
    ...childHandle(child),
    sendTexts: (count, jid, awaitAck = false) =>
      new Promise<void>((resolvePromise, reject) => {
        pending = { resolve: resolvePromise, reject };
        receipts = new Promise<void>((done) => (receiptsDone = done));
        child.send({ send: count, jid, awaitAck });
      }),
    receipted: () => receipts,
    collect: () =>
      new Promise<void>((done) => {
        collected = done;
        child.send({ collect: true });
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The bare Express app

export interface BareExpressChild extends Child {
  port: number;
}

export async function startBareExpress(nodeArgs: string[] = []): Promise<BareExpressChild> {
  const child = spawn(process.execPath, [...nodeArgs, join(HERE, 'bare-express.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await waitFor(() => (/"port":(\d+)/.exec(out) ? Number(/"port":(\d+)/.exec(out)![1]) : undefined), 60_000, 'the bare Express app');
  return { ...childHandle(child), port };
}
