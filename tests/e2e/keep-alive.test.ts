/**
 * Idle client connections: the gateway keeps a pooled connection open past Node's own 6 s, so a
 * client whose pool keeps connections longer (nginx, Go, curl, Node's agent) is not answered with a
 * reset when it reuses one just as the server closes it (the soak's "socket hang up" on an image
 * send). The limit is announced in Keep-Alive and set by KEEP_ALIVE_TIMEOUT.
 */
import http from 'node:http';
import { afterEach, describe, expect, test } from '@jest/globals';
import { E2EHarness, sleep } from './support/harness.js';

interface Answer {
  status: number;
  keepAlive: string | undefined;
  /** The client's port: the same port means the same connection was reused. */
  localPort: number | undefined;
}

function health(url: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/api/health`, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, keepAlive: res.headers['keep-alive'] as string | undefined, localPort: req.socket?.localPort }),
      );
    });
    req.on('error', reject);
  });
}

describe('HTTP keep-alive', () => {
  let harness: E2EHarness | undefined;
  let agent: http.Agent | undefined;
  afterEach(async () => {
    agent?.destroy();
    await harness?.stop();
    harness = undefined;
  });

  test('an idle connection is still served after 7 s (Node alone closes it at 6 s)', async () => {
    harness = await E2EHarness.start();
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await health(harness.gateway.url, agent);
    expect(first).toMatchObject({ status: 200, keepAlive: 'timeout=125' });
    await sleep(7000);
    const second = await health(harness.gateway.url, agent);
    expect(second.status).toBe(200);
    expect(second.localPort).toBe(first.localPort);
  }, 20_000);

  test('KEEP_ALIVE_TIMEOUT sets the limit: an idle connection is closed by the gateway after it', async () => {
    harness = await E2EHarness.start({ env: { KEEP_ALIVE_TIMEOUT: '2' } });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await health(harness.gateway.url, agent);
    expect(first).toMatchObject({ status: 200, keepAlive: 'timeout=2' });
    const socketClosed = new Promise<void>((resolve) => {
      const sockets = Object.values(agent!.freeSockets).flat();
      expect(sockets).toHaveLength(1);
      sockets[0]!.once('close', () => resolve());
    });
    // By the server (at 2 s + Node's 1 s margin): Node 20's agent sets no idle limit of its own, and
    // with a hint of 1 s it would not keep the connection at all.
    await socketClosed;
    const second = await health(harness.gateway.url, agent);
    expect(second.status).toBe(200);
    expect(second.localPort).not.toBe(first.localPort);
  }, 20_000);
});
