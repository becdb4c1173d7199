/**
 * Gateway nodes of one cluster as real child processes (dist/bench/gateway-child.js: the production
 * startGateway, each session pointed at its own emulator), so a test can end one with SIGKILL (no
 * release, no closing frame: the lease just stops being renewed) or SIGTERM (the shutdown a rolling
 * restart sends) and start it again on the same data folder, as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Emulator } from '../../../emulator/index.js';
import type { NetworkNamespace } from '../../support/network-namespace.js';

export const GATEWAY_CHILD = path.resolve('dist/bench/gateway-child.js');

export interface NodeProcessOptions {
  /** The node's name in the test ("node-a"); each process gets NODE_ID `<name>-<generation>`. */
  name: string;
  /** Its own folder (data, session, uploads), kept across restarts. */
  root: string;
  port: number;
  databaseUrl: string;
  adminKey: string;
  /** Seconds, as LEASE_TTL takes them. */
  leaseTtl: string;
  /** The JSON file mapping each session to its emulator (writeEndpoints). */
  endpointsFile: string;
  /** More settings over the ones above. */
  env?: Record<string, string>;
  /** Where its HTTP server listens (default 127.0.0.1), and so where the test reaches it. */
  host?: string;
  /** Runs the node inside this network namespace (`ip netns exec`). */
  namespace?: NetworkNamespace;
  /** A fixed NODE_ID instead of `<name>-<generation>`. */
  nodeId?: string;
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly name: string;
  readonly nodeId: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<NodeExit>;
  /** stdout and stderr, for a failure's message. */
  readonly output: string[];
  running(): boolean;
  /** Sends the signal and resolves when the process has gone. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<NodeExit>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The endpoints file gateway-child.js reads: every session's emulator, `default` included. */
export async function writeEndpoints(file: string, emulators: ReadonlyMap<string, Emulator>): Promise<void> {
  const map = Object.fromEntries([...emulators].map(([session, emu]) => [session, { wsUrl: emu.wsUrl, mediaCaPem: emu.mediaCaPem }]));
  await writeFile(file, JSON.stringify(map));
}

const generations = new Map<string, number>();

export async function startNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const generation = (generations.get(options.name) ?? 0) + 1;
  generations.set(options.name, generation);
  // A restarted process is a new node: the design wants node ids unique per process lifetime.
  const nodeId = options.nodeId ?? `${options.name}-${generation}`;
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.root, { recursive: true });
  const [command, args] = options.namespace ? options.namespace.command(process.execPath, [GATEWAY_CHILD]) : [process.execPath, [GATEWAY_CHILD]];
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(options.port),
      HOST: host,
      API_KEY: options.adminKey,
      DATABASE_URL: options.databaseUrl,
      NODE_ID: nodeId,
      LEASE_TTL: options.leaseTtl,
      GATEWAY_BENCH_ENDPOINTS: options.endpointsFile,
      DATA_DIR: path.join(options.root, 'data'),
      SESSION_DIR: path.join(options.root, 'session'),
      UPLOAD_DIR: path.join(options.root, 'uploads'),
      RATE_LIMIT_ENABLED: 'false',
      RECONNECT_BASE_DELAY_MS: '50',
      RECONNECT_MAX_DELAY_MS: '200',
      WA_QUERY_TIMEOUT_MS: '5000',
      SHUTDOWN_TIMEOUT: '5',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      BAILEYS_LOG_LEVEL: 'silent',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<NodeExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    nodeId,
    url: `http://${host}:${options.port}`,
    child,
    exited,
    output,
    running,
    stop: (signal) => {
      if (running()) child.kill(signal);
      return exited;
    },
  };
}
