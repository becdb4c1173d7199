/**
 * A cluster node as its own process for the partition case: a node process (node-processes.ts:
 * the production gateway, each session connected to its own emulated account) with its own folder
 * and endpoints file, optionally inside a network namespace so the test can cut its links while it
 * runs, and a JSON client with the admin key. Its output is kept for the failure message.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Emulator } from '../../../emulator/index.js';
import type { NetworkNamespace } from '../../support/network-namespace.js';
import { GATEWAY_CHILD, startNodeProcess, writeEndpoints } from './node-processes.js';

export { freePort } from './node-processes.js';

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
  await writeEndpoints(endpointsFile, options.emulators);
  const node = await startNodeProcess({
    name: options.id,
    nodeId: options.id,
    root: dir,
    port: options.port,
    host: options.host,
    namespace: options.namespace,
    databaseUrl: options.databaseUrl,
    adminKey: options.adminKey,
    leaseTtl: options.leaseTtl,
    endpointsFile,
    env: options.env,
  });
  return {
    id: options.id,
    baseUrl: node.url,
    api: async (method, route, body) => {
      const res = await fetch(node.url + route, {
        method,
        headers: { 'X-API-Key': options.adminKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    output: () => node.output.join(''),
    kill: async () => {
      await node.stop('SIGKILL');
    },
  };
}
