/**
 * Two builds of the gateway side by side on the two HTTP paths bench:ceiling measures (the
 * send-message 400 of a refused number, GET /api/status), for a change too small for it to
 * resolve on a shared machine: both are linked to one emulator and take the same keep-alive load
 * in alternating slices (alternating who goes first); the figure is the median of the per-slice
 * CPU-per-response ratios.
 *
 *   npm run build && cp -r dist /tmp/dist-before      (before the change)
 *   npm run build && node dist/bench/http-ab.js /tmp/dist-before/src/main.js
 *   AB_SLICES=10 AB_SLICE_MS=3000 ...
 * (a copy of dist/ outside the checkout needs node_modules and package.json next to it)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator } from '../emulator/index.js';
import { linkGateway, startGatewayChild, type GatewayChild } from './ceiling/contenders.js';
import { INVALID_PHONE_BODY, runLoad, type LoadRequest } from './ceiling/load.js';
import { cpuMs, median, sleep } from './ceiling/process-stats.js';
import { runMain } from './ceiling/report.js';

const SLICES = Number(process.env.AB_SLICES ?? 10);
const SLICE_MS = Number(process.env.AB_SLICE_MS ?? 3000);
const CONNECTIONS = 8;
const PATHS: Record<string, LoadRequest> = {
  '400': { method: 'POST', path: '/api/send-message', body: INVALID_PHONE_BODY, expectStatus: 400 },
  status: { method: 'GET', path: '/api/status', expectStatus: 200 },
};

/** CPU ms per response of one slice. */
async function slice(gateway: GatewayChild, request: LoadRequest): Promise<number> {
  const cpu = cpuMs(gateway.pid);
  const result = await runLoad(gateway.port, request, { connections: CONNECTIONS, durationMs: SLICE_MS });
  return (cpuMs(gateway.pid) - cpu) / result.requests;
}

async function main(): Promise<void> {
  const beforeMain = process.argv[2];
  if (!beforeMain) throw new Error('usage: node dist/bench/http-ab.js <before build>/src/main.js [<after build>/src/main.js]');
  const afterMain = process.argv[3] ? resolve(process.argv[3]) : undefined;
  const root = await mkdtemp(join(tmpdir(), 'wa-http-ab-'));
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const gateways: GatewayChild[] = [];
  try {
    const before = await startGatewayChild(emu, join(root, 'before'), {}, [], resolve(beforeMain));
    gateways.push(before);
    await linkGateway(before, emu);
    const after = await startGatewayChild(emu, join(root, 'after'), {}, [], afterMain);
    gateways.push(after);
    await linkGateway(after, emu);
    await sleep(3000);
    for (const [name, request] of Object.entries(PATHS)) {
      await slice(before, request);
      await slice(after, request);
      const ratios: number[] = [];
      const cpu = { before: [] as number[], after: [] as number[] };
      for (let s = 0; s < SLICES; s++) {
        const beforeFirst = s % 2 === 0;
        const b = beforeFirst ? await slice(before, request) : undefined;
        const a = await slice(after, request);
        const b2 = b ?? (await slice(before, request));
        cpu.before.push(b2);
        cpu.after.push(a);
        ratios.push(a / b2);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
        console.log(
          `${name} slice ${s + 1}: CPU/response before ${(b2 * 1000).toFixed(0)} µs, after ${(a * 1000).toFixed(0)} µs, after/before ${(a / b2).toFixed(3)}; load ${load}`,
        );
      }
      console.log(
        `${name}: median CPU/response before ${(median(cpu.before) * 1000).toFixed(0)} µs, after ${(median(cpu.after) * 1000).toFixed(0)} µs; ` +
          `median of per-slice after/before ${median(ratios).toFixed(3)} (${SLICES} slices of ${SLICE_MS / 1000} s, ${CONNECTIONS} connections)`,
      );
    }
  } finally {
    for (const gateway of gateways) await gateway.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

runMain(main);
