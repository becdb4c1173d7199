/**
 * Graceful shutdown with a real HTTP server: in-flight requests finish, new connections are
 * refused, resources close after HTTP has drained, a stuck request is cut at the bound, and a
 * second signal forces the exit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { createShutdown } from '../../src/lifecycle/shutdown.js';

/** `slowArrived` resolves once the server has the /slow request: shutdown must begin with it in flight. */
function serverWithSlowRoute(delayMs: number) {
  let arrived: () => void = () => undefined;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      arrived();
      setTimeout(() => res.end('done'), delayMs).unref();
    } else res.end('fast');
  });
  return new Promise<{ server: http.Server; url: string; slowArrived: Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, slowArrived })),
  );
}

describe('createShutdown', () => {
  test('lets an in-flight request finish, then closes resources, then exits 0', async () => {
    const { server, url, slowArrived } = await serverWithSlowRoute(300);
    const order: string[] = [];
    let exitCode: number | undefined;
    const shutdown = createShutdown({
      server,
      logger: pino({ level: 'silent' }),
      timeoutMs: 5000,
      closeResources: async () => {
        order.push('resources closed');
      },
      exit: (code) => {
        exitCode = code;
      },
    });
    // The server's side of the order: its answer was written out before resources closed.
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/slow') res.on('finish', () => order.push('request finished'));
    });
    const inFlight = fetch(`${url}/slow`).then((r) => r.text());
    await slowArrived;
    const done = shutdown.begin('SIGTERM');
    expect(shutdown.isShuttingDown()).toBe(true);
    await expect(fetch(`${url}/fast`)).rejects.toThrow(); // no new connections
    expect(await inFlight).toBe('done');
    await done;
    expect(order).toEqual(['request finished', 'resources closed']);
    expect(exitCode).toBe(0);
  });

  test('a keep-alive connection whose request finishes during the drain does not hold it open', async () => {
    const { server, url, slowArrived } = await serverWithSlowRoute(300);
    server.keepAliveTimeout = 60_000; // as in production (KEEP_ALIVE_TIMEOUT): far beyond the bound
    const warnings: string[] = [];
    let exitCode: number | undefined;
    const shutdown = createShutdown({
      server,
      logger: pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) }),
      timeoutMs: 10_000,
      closeResources: async () => {},
      exit: (c) => (exitCode = c),
    });
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = new Promise<string>((resolve, reject) => {
      http
        .get(`${url}/slow`, { agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    await slowArrived;
    const started = Date.now();
    await shutdown.begin('SIGTERM');
    // Without closing connections that turn idle, close() waited for the whole 10 s bound.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await inFlight).toBe('done');
    expect(warnings).toEqual([]);
    expect(exitCode).toBe(0);
    agent.destroy();
  });

  test('cuts requests that outlive the bound', async () => {
    const { server, url, slowArrived } = await serverWithSlowRoute(10_000);
    let exitCode: number | undefined;
    const shutdown = createShutdown({ server, logger: pino({ level: 'silent' }), timeoutMs: 200, closeResources: async () => {}, exit: (c) => (exitCode = c) });
    const stuck = fetch(`${url}/slow`).catch(() => 'cut');
    await slowArrived;
    const started = Date.now();
    await shutdown.begin('SIGTERM');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stuck).toBe('cut');
    expect(exitCode).toBe(0);
  });

  test('a second signal forces exit 1', async () => {
    const { server, url, slowArrived } = await serverWithSlowRoute(500);
    const codes: number[] = [];
    const shutdown = createShutdown({ server, logger: pino({ level: 'silent' }), timeoutMs: 5000, closeResources: async () => {}, exit: (c) => codes.push(c) });
    const pending = fetch(`${url}/slow`).catch(() => undefined);
    await slowArrived;
    const first = shutdown.begin('SIGTERM');
    void shutdown.begin('SIGINT');
    expect(codes).toEqual([1]);
    await pending;
    await first;
  });

  test('a failure while closing resources exits 1', async () => {
    const { server } = await serverWithSlowRoute(0);
    let exitCode: number | undefined;
    const shutdown = createShutdown({
      server,
      logger: pino({ level: 'silent' }),
      timeoutMs: 1000,
      closeResources: async () => {
        throw new Error('disk gone');
      },
      exit: (c) => (exitCode = c),
    });
    await shutdown.begin('SIGTERM');
    expect(exitCode).toBe(1);
  });
});

describe('createShutdown bound', () => {
  test('resources that hang do not keep the process alive past the bound', async () => {
    const { server } = await serverWithSlowRoute(0);
    let exitCode: number | undefined;
    const shutdown = createShutdown({
      server,
      logger: pino({ level: 'silent' }),
      timeoutMs: 1000,
      closeResources: () => new Promise<void>(() => {}),
      exit: (c) => (exitCode = c),
    });
    const started = Date.now();
    await shutdown.begin('SIGTERM');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(exitCode).toBe(1);
  });
});
