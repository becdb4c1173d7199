/**
 * One process, many WhatsApp accounts (issue 14, item 2): the production gateway as a child
 * process with N linked sessions, each on its own emulated account in this process, at
 * N = 1, 10, 50, 100. For each N, a fresh gateway and fresh accounts:
 *
 *   link every session (default, then s1…s(N-1), 6 at a time), wait until the gateway is quiet;
 *   idle: RSS (median of 1 s samples) and CPU % over IDLE_SECONDS;
 *   one warm-up text per session (the first send also fetches the recipient's devices and keys);
 *   SEND_ROUNDS texts per session one request at a time (latency with N linked, CPU per send),
 *   then SEND_ROUNDS per session with all sessions sending at once;
 *   one incoming text per account at once, answered by each session's delivery receipt;
 *   every text checked at its own account's emulator (and at no other).
 *
 * Marginal RSS per linked idle session = (RSS at N − RSS at 1) / (N − 1); target ≤ 20 MB.
 *
 *   npm run bench:sessions                          (builds, then runs dist/bench/sessions.js)
 *   SESSIONS_N=1,10 npm run bench:sessions          a quick run
 *   SEND_ROUNDS=5 IDLE_SECONDS=15 npm run bench:sessions
 *   BENCH_KEEP=1 …                                  keep each N's folder (gateway.log, data) for a look afterwards
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../emulator/index.js';
import { linkAll, connectedCount, startEmulators, startFleet, type Fleet } from './many-sessions/fleet.js';
import {
  idle,
  measure,
  memoryParts,
  receiveOne,
  settle,
  warmUp,
  type Idle,
  type MemoryParts,
  type ReceiveFigures,
  type SendFigures,
} from './many-sessions/traffic.js';
import { fmt, runMain } from './ceiling/report.js';

const COUNTS = (process.env.SESSIONS_N ?? '1,10,50,100').split(',').map((s) => Number(s.trim()));
const SEND_ROUNDS = Number(process.env.SEND_ROUNDS ?? 3);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 15);
const MARGINAL_TARGET_MB = 20;

interface Result {
  n: number;
  linkSeconds: number;
  settleSeconds: number;
  idle: Idle;
  memory: MemoryParts;
  warm: SendFigures;
  sequential: SendFigures;
  concurrent: SendFigures;
  receive: ReceiveFigures;
  after: Idle;
}

/** Below this CPU % over 2 s the gateway counts as quiet: each linked socket adds a little (keep-alive pings). */
const quietPercent = (n: number) => Math.max(3, 1 + 0.04 * n);

async function runOnce(n: number): Promise<Result> {
  const root = await mkdtemp(join(tmpdir(), `wa-sessions-bench-${n}-`));
  let emulators: Emulator[] = [];
  let fleet: Fleet | undefined;
  try {
    emulators = await startEmulators(n);
    fleet = await startFleet(emulators, root);
    const linkSeconds = await linkAll(fleet);
    const settleSeconds = await settle(fleet.pid, quietPercent(n));
    const rest = await idle(fleet.pid, IDLE_SECONDS);
    const memory = await memoryParts(fleet);
    const linked = await connectedCount(fleet);
    if (linked !== n) throw new Error(`${linked} of ${n} sessions connected after settling`);
    console.log(
      `N=${n}: linked in ${fmt(linkSeconds, 1)} s, quiet after ${fmt(settleSeconds, 0)} s more; idle RSS ${fmt(rest.rssMb, 1)} MB ` +
        `(JS heap ${fmt(memory.heapUsedMb, 1)} used of ${fmt(memory.heapTotalMb, 1)}, external ${fmt(memory.externalMb, 1)}, ${memory.activeHandles} handles), CPU ${fmt(rest.cpuPercent, 2)} %`,
    );
    const warm = await warmUp(fleet);
    const sequential = await measure(fleet, SEND_ROUNDS, 'sequential', 'one at a time');
    const concurrent = await measure(fleet, SEND_ROUNDS, 'concurrent', 'all at once');
    const receive = await receiveOne(fleet);
    await settle(fleet.pid, quietPercent(n));
    const after = await idle(fleet.pid, 5);
    const result = { n, linkSeconds, settleSeconds, idle: rest, memory, warm, sequential, concurrent, receive, after };
    console.log(
      `N=${n}: sends one at a time median ${fmt(sequential.medianMs, 1)} / p95 ${fmt(sequential.p95Ms, 1)} ms, all at once median ${fmt(concurrent.medianMs, 1)} / p95 ${fmt(concurrent.p95Ms, 1)} ms; ` +
        `${receive.count} incoming answered in ${fmt(receive.seconds, 1)} s, median ${fmt(receive.medianMs, 1)} ms; RSS after ${fmt(after.rssMb, 1)} MB`,
    );
    return result;
  } catch (error) {
    if (fleet) console.error(`gateway output (tail):\n${fleet.output()}`);
    throw error;
  } finally {
    await fleet?.stop();
    for (const emu of emulators) await emu.stop();
    // BENCH_KEEP=1 keeps the folder (the gateway's log is gateway.log) for a look afterwards.
    if (process.env.BENCH_KEEP === '1') console.log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

function report(results: Result[]): void {
  const one = results.find((r) => r.n === 1);
  const marginal = (r: Result) => (one && r.n > 1 ? (r.idle.rssMb - one.idle.rssMb) / (r.n - 1) : NaN);
  const pair = (f: SendFigures) => `${fmt(f.medianMs, 1)} / ${fmt(f.p95Ms, 1)}`;
  console.log('Idle, linked (MB; CPU % of one core):');
  console.table(
    results.map((r) => ({
      N: r.n,
      'link s': fmt(r.linkSeconds, 1),
      'idle RSS': fmt(r.idle.rssMb, 1),
      'RSS / extra session': Number.isNaN(marginal(r)) ? '—' : `${fmt(marginal(r), 2)} (${marginal(r) <= MARGINAL_TARGET_MB ? 'met' : 'NOT met'})`,
      'JS heap used / total': `${fmt(r.memory.heapUsedMb, 1)} / ${fmt(r.memory.heapTotalMb, 1)}`,
      external: fmt(r.memory.externalMb, 1),
      'idle CPU %': fmt(r.idle.cpuPercent, 2),
      'RSS after sends': fmt(r.after.rssMb, 1),
    })),
  );
  console.log('Sends and receives (ms: median / p95; CPU ms per send of the gateway; CPU % of one core over the pass):');
  console.table(
    results.map((r) => ({
      N: r.n,
      'first send': pair(r.warm),
      '1 at a time': pair(r.sequential),
      'worst session median': fmt(r.sequential.worstSessionMedianMs, 1),
      'CPU ms/send': fmt(r.sequential.cpuMsPerSend, 2),
      'all at once': pair(r.concurrent),
      'sends/s': fmt(r.concurrent.count / r.concurrent.seconds, 0),
      'CPU ms/send ': fmt(r.concurrent.cpuMsPerSend, 2),
      'CPU % gateway / harness': `${fmt(r.concurrent.gatewayCpuPercent, 0)} / ${fmt(r.concurrent.harnessCpuPercent, 0)}`,
      'gateway waiting for a core %': fmt(r.concurrent.gatewayWaitPercent, 0),
      load: fmt(r.concurrent.load, 1),
      'incoming → receipt': `${fmt(r.receive.medianMs, 1)} / ${fmt(r.receive.p95Ms, 1)}`,
      'all received s': fmt(r.receive.seconds, 1),
    })),
  );
  for (const r of results) if (r.n > 1) console.log(`N=${r.n} all at once, slowest: ${r.concurrent.slowest}`);
  for (let i = 1; i < results.length; i++) {
    const a = results[i - 1]!;
    const b = results[i]!;
    console.log(`RSS per extra session from N=${a.n} to N=${b.n}: ${fmt((b.idle.rssMb - a.idle.rssMb) / (b.n - a.n), 2)} MB`);
  }
  console.log(
    `Per N a fresh gateway (dist/bench/gateway-child.js: startGateway as in src/main.ts, production defaults, request log at info, admin API key) and fresh emulated accounts; ` +
      `idle after linking and a quiet 2 s window (CPU < max(3, 1 + 0.04·N) %): RSS median and CPU % over ${IDLE_SECONDS} s. ` +
      `Sends: ${SEND_ROUNDS} texts per session after one warm-up each, HTTP 200 = WhatsApp's server ack; CPU = /proc/<pid>/stat utime+stime of the gateway over the pass plus 500 ms. ` +
      'Every text was found at its own account (recipient copy, same text) and at no other; every session answered its incoming text with a delivery receipt.',
  );
}

async function main(): Promise<void> {
  console.log(
    `${new Date().toISOString()}  node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GB RAM; N = ${COUNTS.join(', ')}`,
  );
  const results: Result[] = [];
  let failure: unknown;
  for (const n of COUNTS) {
    try {
      results.push(await runOnce(n));
    } catch (error) {
      // The figures of the counts that ran are still worth the table.
      failure ??= error;
      console.error(`N=${n} failed:`, error);
    }
  }
  report(results);
  if (failure) throw failure;
}

runMain(main);
