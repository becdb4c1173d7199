/**
 * A cluster node as its own process: the production gateway (dist/bench/gateway-child.js, the
 * same startGateway and loadConfig as src/main.ts) with each session connected to its own emulated
 * account (GATEWAY_BENCH_ENDPOINTS). It can be started inside a network namespace (`ip netns exec`),
 * so the test can cut its links while it runs. Its output is kept for the failure message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Emulator } from '../../../emulator/index.js';
import type { NetworkNamespace } from '../../support/network-namespace.js';

/** A port nobody listens on right now on this host's loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const GATEWAY_CHILD = path.resolve('dist/bench/gateway-child.js');

export interface GatewayProcessOptions {
  id: string;
  /** A folder of its own: data, sessions, uploads and the endpoints file go under it. */
  root: string;
  databaseUrl: string;
  adminKey: string;
  leaseTtl: string;
  /** Where its HTTP server listens, and so where the test reaches it. */
  host: string;
  port: number;
  /** Account emulators by session name; `default` is the default session's. */
  emulators: ReadonlyMap<string, Emulator>;
  /** Runs the node inside this namespace. */
  namespace?: NetworkNamespace;
  env?: Record<string, string>;
}

export interface GatewayProcess {
  id: string;
  baseUrl: string;
  /** A request with the admin key; the body is parsed as JSON. */
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  output(): string;
  kill(): Promise<void>;
}

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  if (!existsSync(GATEWAY_CHILD)) throw new Error(`${GATEWAY_CHILD} is missing: run \`npm run build\` first (npm test does)`);
  const dir = path.join(options.root, options.id);
  await mkdir(dir, { recursive: true });
  const endpointsFile = path.join(dir, 'endpoints.json');
  const endpoints = Object.fromEntries([...options.emulators].map(([session, emu]) => [session, { wsUrl: emu.wsUrl, mediaCaPem: emu.mediaCaPem }]));
  await writeFile(endpointsFile, JSON.stringify(endpoints));
  const env = {
    PATH: process.env.PATH,
    GATEWAY_BENCH_ENDPOINTS: endpointsFile,
    DATABASE_URL: options.databaseUrl,
    NODE_ID: options.id,
    LEASE_TTL: options.leaseTtl,
    API_KEY: options.adminKey,
    HOST: options.host,
    PORT: String(options.port),
    DATA_DIR: path.join(dir, 'data'),
    SESSION_DIR: path.join(dir, 'session'),
    UPLOAD_DIR: path.join(dir, 'uploads'),
    RATE_LIMIT_ENABLED: 'false',
    RECONNECT_BASE_DELAY_MS: '50',
    RECONNECT_MAX_DELAY_MS: '200',
    WA_QUERY_TIMEOUT_MS: '5000',
    SHUTDOWN_TIMEOUT: '5',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    BAILEYS_LOG_LEVEL: 'silent',
    ...options.env,
  };
  const [command, args] = options.namespace ? options.namespace.command(process.execPath, [GATEWAY_CHILD]) : [process.execPath, [GATEWAY_CHILD]];
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://${options.host}:${options.port}`;
  return {
    id: options.id,
    baseUrl,
    api: async (method, route, body) => {
      const res = await fetch(baseUrl + route, {
        method,
        headers: { 'X-API-Key': options.adminKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    output: () => output.join(''),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
