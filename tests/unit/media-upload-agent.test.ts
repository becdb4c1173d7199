/**
 * The media upload agent against a real HTTPS host (the emulator's media server): idle connections
 * are dropped after FREE_SOCKET_TIMEOUT_MS, and an upload reset on a reused connection is retried
 * exactly once, on a fresh connection; other failures are not retried.
 */
import { request } from 'node:https';
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { MediaServer } from '../../emulator/media-server.js';
import { FREE_SOCKET_TIMEOUT_MS, MediaUploadAgent } from '../../src/whatsapp/baileys/media-upload-agent.js';

const servers: MediaServer[] = [];
const agents: MediaUploadAgent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(idleCutoffMs?: number) {
  const server = await MediaServer.start(pino({ level: 'silent' }), { idleCutoffMs });
  const agent = new MediaUploadAgent({ ca: server.caPem });
  servers.push(server);
  agents.push(agent);
  return { server, agent };
}

/** A POST the way Baileys uploads (node https, our agent): the status code, or the connection error. */
function post(agent: MediaUploadAgent, host: string): Promise<number> {
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: '/not-an-upload', method: 'POST', agent, headers: { 'Content-Length': 5 } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('hello');
  });
}

const idleCount = (agent: MediaUploadAgent) => Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);

describe('MediaUploadAgent', () => {
  test('keeps an idle connection for the next upload, then drops it after FREE_SOCKET_TIMEOUT_MS', async () => {
    const { server, agent } = await setup();
    expect(await post(agent, server.host)).toBe(404);
    await new Promise((r) => setImmediate(r));
    expect(idleCount(agent)).toBe(1);
    await new Promise((r) => setTimeout(r, FREE_SOCKET_TIMEOUT_MS + 500));
    expect(idleCount(agent)).toBe(0);
  });

  test('an upload reset on a reused connection is retried once, on a fresh connection, and succeeds', async () => {
    // Every request on a reused connection is reset: the reuse race, every time.
    const { server, agent } = await setup(0);
    expect(await post(agent, server.host)).toBe(404);
    const reasons: string[] = [];
    let calls = 0;
    const status = await agent.retryingStaleConnection(
      () => {
        calls += 1;
        return post(agent, server.host);
      },
      (reason) => reasons.push(reason),
    );
    expect(status).toBe(404);
    expect(calls).toBe(2);
    expect(reasons).toHaveLength(1);
    expect(server.connectionsCut).toBe(1);
  });

  test('retried once only: a second failure is the caller’s', async () => {
    const { server, agent } = await setup(0);
    expect(await post(agent, server.host)).toBe(404);
    let calls = 0;
    const upload = () => {
      calls += 1;
      return calls === 1 ? post(agent, server.host) : Promise.reject(new Error('second failure'));
    };
    await expect(agent.retryingStaleConnection(upload, () => {})).rejects.toThrow('second failure');
    expect(calls).toBe(2);
  });

  test('a failure on a fresh connection is not retried', async () => {
    const { server, agent } = await setup();
    const host = server.host;
    await server.close();
    let calls = 0;
    const retried: string[] = [];
    await expect(
      agent.retryingStaleConnection(
        () => {
          calls += 1;
          return post(agent, host);
        },
        (reason) => retried.push(reason),
      ),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toBe(1);
    expect(retried).toEqual([]);
  });
});
