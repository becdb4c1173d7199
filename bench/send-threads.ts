/**
 * Text-send CPU split by thread, the gateway against the bare socket, interleaved; with
 * SEND_BEFORE=<path to another build's src/main.js> that build too, for an A/B of a change.
 *   npm run build && node dist/bench/send-threads.js      (SEND_ROUNDS, SEND_TEXTS)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator } from '../emulator/index.js';
import { linkGateway, startBareSocket, startGatewayChild, type GatewayChild } from './ceiling/contenders.js';
import { median, sleep } from './ceiling/process-stats.js';
import { runMain } from './ceiling/report.js';

const RECIPIENT = '6281234567890';
const JID = `${RECIPIENT}@s.whatsapp.net`;
const ROUNDS = Number(process.env.SEND_ROUNDS ?? 5);
const TEXTS = Number(process.env.SEND_TEXTS ?? 100);

/** CPU ms so far by thread: the main thread (user and system) and all others together. */
function threads(pid: number): { main: number; sys: number; other: number } {
  const out = { main: 0, sys: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / 100;
      if (tid === String(pid)) {
        out.main += ms;
        out.sys += (Number(f[12]) * 1000) / 100;
      } else out.other += ms;
    } catch {
      /* thread gone */
    }
  }
  return out;
}

interface Measured {
  rate: number;
  cpu: number;
  main: number;
  sys: number;
  other: number;
}

async function measure(pid: number, work: () => Promise<void>): Promise<Measured> {
  const before = threads(pid);
  const t0 = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(300);
  const after = threads(pid);
  const main = (after.main - before.main) / TEXTS;
  const other = (after.other - before.other) / TEXTS;
  return { rate: TEXTS / seconds, cpu: main + other, main, sys: (after.sys - before.sys) / TEXTS, other };
}

const show = (name: string, m: Measured) =>
  `${name} ${m.rate.toFixed(0)}/s ${m.cpu.toFixed(2)} ms (main ${m.main.toFixed(2)}, sys ${m.sys.toFixed(2)}, other ${m.other.toFixed(2)})`;

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'wa-send-threads-'));
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const gateways: Array<{ name: string; child: GatewayChild }> = [];
  const bare = await startBareSocket(emu);
  try {
    gateways.push({ name: 'gateway', child: await startGatewayChild(emu, join(root, 'gateway')) });
    if (process.env.SEND_BEFORE)
      gateways.push({ name: 'before', child: await startGatewayChild(emu, join(root, 'before'), {}, [], resolve(process.env.SEND_BEFORE)) });
    for (const g of gateways) await linkGateway(g.child, emu);
    await sleep(5000);
    const texts = (child: GatewayChild) => async () => {
      for (let i = 0; i < TEXTS; i++) {
        const res = await child.postJson('/api/send-message', { phone: RECIPIENT, message: `gateway ${i}` });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      }
    };
    for (const g of gateways) await texts(g.child)();
    await bare.sendTexts(50, JID);
    const ratios = new Map<string, { rate: number[]; cpu: number[]; cpuAcked: number[] }>(gateways.map((g) => [g.name, { rate: [], cpu: [], cpuAcked: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? [...gateways].reverse() : gateways;
      const results: string[] = [];
      const measured = new Map<string, Measured>();
      for (const g of order) measured.set(g.name, await measure(g.child.pid, texts(g.child)));
      const b = await measure(bare.pid, () => bare.sendTexts(TEXTS, JID));
      const ba = await measure(bare.pid, () => bare.sendTexts(TEXTS, JID, true));
      for (const g of gateways) {
        const m = measured.get(g.name)!;
        const rr = ratios.get(g.name)!;
        rr.rate.push(m.rate / b.rate);
        rr.cpu.push(m.cpu / b.cpu);
        rr.cpuAcked.push(m.cpu / ba.cpu);
        results.push(show(g.name, m));
      }
      console.log(`round ${r + 1}: ${results.join(' | ')} | ${show('bare', b)} | ${show('bare-acked', ba)}`);
    }
    for (const [name, rr] of ratios)
      console.log(
        `${name}: median rate ratio ${median(rr.rate).toFixed(2)}, CPU ratio ${median(rr.cpu).toFixed(2)}, CPU ratio vs the acked bare socket ${median(rr.cpuAcked).toFixed(2)}`,
      );
  } finally {
    for (const g of gateways) await g.child.stop();
    await bare.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

runMain(main);
