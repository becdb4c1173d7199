/**
 * Loopback HTTP servers for the media-source suites. The "private" one listens on 127.0.0.1 and
 * counts every TCP connection, so a test can prove the gateway never reached it; the "public" one
 * listens on 127.0.0.2, which the injected test policy treats as the only reachable address.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LookupAddress } from 'node:dns';
import type { AddressPolicy } from '../../src/media-source/address-policy.js';
import type { Resolver } from '../../src/media-source/guarded-lookup.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  host: string;
  port: number;
  /** http://host:port */
  origin: string;
  connections: number;
  requests: string[];
  handle(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(host: '127.0.0.1' | '127.0.0.2', port = 0): Promise<TestServer> {
  const handlers = new Map<string, Handler>();
  const server = http.createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const handler = handlers.get((req.url ?? '').split('?')[0] ?? '');
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const state: TestServer = {
    host,
    port: bound,
    origin: `http://${host}:${bound}`,
    connections: 0,
    requests: [],
    handle: (p, handler) => void handlers.set(p, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** The test stand-in for "the public internet": only the 127.0.0.2 server. */
export const onlyTestPublicServer: AddressPolicy = (address) => address === '127.0.0.2';

/** A DNS with fixed answers; every query is recorded. Unknown names are ENOTFOUND. */
export function fixedResolver(answers: Record<string, string[] | (() => string[])>, queries: string[] = []): Resolver {
  return (hostname, _options, callback) => {
    queries.push(hostname);
    const entry = answers[hostname];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      return setImmediate(() => callback(error, []));
    }
    const result: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    setImmediate(() => callback(null, result));
  };
}

export function makeUploadDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'media-source-'));
}

export function filesIn(dir: string): string[] {
  return readdirSync(dir);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
