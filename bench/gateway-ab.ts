/**
 * Two builds of the gateway side by side, for a change too small for bench:ceiling to resolve on
 * a shared machine: both are linked to one emulator and send texts in alternating slices
 * (alternating who goes first), and the figure is the median of the per-slice CPU ratios.
 *
 *   npm run build && cp -r dist /tmp/dist-before      (before the change)
 *   npm run build && node dist/bench/gateway-ab.js /tmp/dist-before/src/main.js
 *   AB_SLICES=12 AB_TEXTS=40 AB_CONCURRENCY=8 AB_FIRST=after ...
 * (a copy of dist/ outside the checkout needs node_modules and package.json next to it)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator } from '../emulator/index.js';
import { linkGateway, startGatewayChild, type GatewayChild } from './ceiling/contenders.js';
import { cpuMs, median, sleep } from './ceiling/process-stats.js';
import { runMain } from './ceiling/report.js';

const RECIPIENT = '6281234567890';
const SLICES = Number(process.env.AB_SLICES ?? 12);
const TEXTS = Number(process.env.AB_TEXTS ?? 40);
const CONCURRENCY = Number(process.env.AB_CONCURRENCY ?? 1);
/** Which build links first (the emulator's second device might behave differently: swap to check). */
const AFTER_FIRST = process.env.AB_FIRST === 'after';

async function sendTexts(gateway: GatewayChild, count: number, tag: string): Promise<void> {
  const one = async (lane: number) => {
    for (let i = 0; i < Math.ceil(count / CONCURRENCY); i++) {
      const res = await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `${tag} ${lane} ${i}` });
      if (res.status !== 200) throw new Error(`send-message: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, lane) => one(lane)));
}

/** CPU ms per text of one slice (300 ms after it for the trailing receipts), and wall ms per text. */
async function slice(gateway: GatewayChild, tag: string): Promise<{ cpu: number; wall: number }> {
  const cpu = cpuMs(gateway.pid);
  const started = Date.now();
  await sendTexts(gateway, TEXTS, tag);
  const wall = (Date.now() - started) / TEXTS;
  await sleep(300);
  return { cpu: (cpuMs(gateway.pid) - cpu) / TEXTS, wall };
}

async function main(): Promise<void> {
  const beforeMain = process.argv[2];
  if (!beforeMain) throw new Error('usage: node dist/bench/gateway-ab.js <before build>/src/main.js [<after build>/src/main.js]');
  const afterMain = process.argv[3] ? resolve(process.argv[3]) : undefined;
  const root = await mkdtemp(join(tmpdir(), 'wa-gateway-ab-'));
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const gateways: GatewayChild[] = [];
  const start = async (name: string, main?: string) => {
    const gateway = await startGatewayChild(emu, join(root, name), {}, [], main);
    gateways.push(gateway);
    await linkGateway(gateway, emu);
    return gateway;
  };
  try {
    let before: GatewayChild;
    let after: GatewayChild;
    if (AFTER_FIRST) {
      after = await start('after', afterMain);
      before = await start('before', resolve(beforeMain));
    } else {
      before = await start('before', resolve(beforeMain));
      after = await start('after', afterMain);
    }
    await sleep(5000);
    await sendTexts(before, 50, 'warm');
    await sendTexts(after, 50, 'warm');
    const ratios: number[] = [];
    const cpu = { before: [] as number[], after: [] as number[] };
    for (let s = 0; s < SLICES; s++) {
      const b = s % 2 === 0 ? await slice(before, 'before') : undefined;
      const a = await slice(after, 'after');
      const b2 = b ?? (await slice(before, 'before'));
      cpu.before.push(b2.cpu);
      cpu.after.push(a.cpu);
      ratios.push(a.cpu / b2.cpu);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(
        `slice ${s + 1}: CPU/send before ${b2.cpu.toFixed(2)} ms, after ${a.cpu.toFixed(2)} ms, after/before ${(a.cpu / b2.cpu).toFixed(3)}; wall ${b2.wall.toFixed(1)} vs ${a.wall.toFixed(1)} ms; load ${load}`,
      );
    }
    console.log(
      `median CPU/send: before ${median(cpu.before).toFixed(2)} ms, after ${median(cpu.after).toFixed(2)} ms; median of per-slice after/before ${median(ratios).toFixed(3)} ` +
        `(${SLICES} slices of ${TEXTS} texts, ${CONCURRENCY} at a time, alternating who goes first; ${AFTER_FIRST ? 'after' : 'before'} linked first)`,
    );
  } finally {
    for (const gateway of gateways) await gateway.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

runMain(main);
