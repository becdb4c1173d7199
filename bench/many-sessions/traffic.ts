/**
 * What the sessions benchmark measures on a linked fleet: the gateway at rest (RSS, CPU %), texts
 * sent through every session (latency of the HTTP 200, which the gateway answers only after
 * WhatsApp's server ack; CPU per send; each text found at its own account's emulator and at no
 * other), and a text received by every session (the companion's delivery receipt back at the
 * emulator proves the session decrypted and handled it).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Emulator } from '../../emulator/index.js';
import { cpuMs, median, rssMb, sleep } from '../ceiling/process-stats.js';
import type { Fleet } from './fleet.js';

/**
 * Milliseconds the gateway's main thread (where its JavaScript runs) has spent runnable but waiting
 * for a core (/proc/<pid>/schedstat, field 2). On a shared machine this says how much of a
 * latency was the machine's other load rather than the gateway.
 */
export function runQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

const RECIPIENT = '6281234567890';
const SENDER = '6281999000111';

/** Waits until the gateway's CPU over a 2 s window is below `percent` (post-link work done), at most `maxMs`. */
export async function settle(pid: number, percent = 3, maxMs = 120_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = cpuMs(pid);
    await sleep(2000);
    const busy = ((cpuMs(pid) - before) / 2000) * 100;
    if (busy < percent || Date.now() - started > maxMs) return (Date.now() - started) / 1000;
  }
}

export interface Idle {
  rssMb: number;
  cpuPercent: number;
}

/** RSS: median of samples 1 s apart over `seconds`; CPU %: of one core, over the same window. */
export async function idle(pid: number, seconds: number): Promise<Idle> {
  const samples: number[] = [];
  const cpuBefore = cpuMs(pid);
  const started = Date.now();
  for (let i = 0; i < seconds; i++) {
    samples.push(rssMb(pid));
    await sleep(1000);
  }
  return { rssMb: median(samples), cpuPercent: ((cpuMs(pid) - cpuBefore) / (Date.now() - started)) * 100 };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Sent {
  session: number;
  round: number;
  id: string;
  text: string;
  ms: number;
  /** When the request went out, ms after the pass began. */
  atMs: number;
}

async function sendText(fleet: Fleet, session: number, round: number, text: string, passStart: bigint): Promise<Sent> {
  const started = process.hrtime.bigint();
  const res = await fleet.call('POST', `${fleet.base(fleet.sessions[session]!)}/send-message`, { phone: RECIPIENT, message: text });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 200) throw new Error(`${fleet.sessions[session]} send-message: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  const id = (res.body.data as { message_id?: string } | undefined)?.message_id;
  if (!id) throw new Error(`${fleet.sessions[session]} send-message: no message_id in ${JSON.stringify(res.body)}`);
  return { session, round, id, text, ms, atMs: Number(started - passStart) / 1e6 };
}

/** Every text reached its own session's emulator (the recipient's copy, with its text) and no other. */
async function proveArrivals(emulators: Emulator[], sent: Sent[]): Promise<void> {
  const owner = new Map(sent.map((s) => [s.id, s.session]));
  for (const s of sent) {
    const got = await emulators[s.session]!.waitForMessage((m) => m.id === s.id && !m.isOwnDeviceCopy, 10_000);
    if (got.text !== s.text) throw new Error(`message ${s.id}: emulator ${s.session} has text ${JSON.stringify(got.text)}, sent ${JSON.stringify(s.text)}`);
  }
  emulators.forEach((emu, i) => {
    const stray = emu.messages.find((m) => owner.has(m.id) && owner.get(m.id) !== i);
    if (stray) throw new Error(`message ${stray.id} of session ${owner.get(stray.id)} arrived at emulator ${i}`);
  });
}

export interface SendFigures {
  count: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Wall seconds of the whole pass. */
  seconds: number;
  /** Gateway CPU ms per send (the pass plus 500 ms of trailing receipts). */
  cpuMsPerSend: number;
  /** The highest of the per-session median latencies: does any session fall behind the others? */
  worstSessionMedianMs: number;
  /** CPU % (of one core) of the gateway and of this harness (client and emulators) over the pass: who was the bottleneck. */
  gatewayCpuPercent: number;
  harnessCpuPercent: number;
  /** % of the pass the gateway's main thread waited for a core (other load on the machine). */
  gatewayWaitPercent: number;
  /** The machine's 1-minute load average at the end of the pass. */
  load: number;
  /** The slowest sends: which session, which of its texts, when it went out and how long it took. */
  slowest: string;
}

function figures(sent: Sent[], seconds: number, cpu: number, harnessCpuMs: number, waitMs: number, sessions: number): SendFigures {
  const ms = sent.map((s) => s.ms);
  const perSession = Array.from({ length: sessions }, (_, i) => median(sent.filter((s) => s.session === i).map((s) => s.ms)));
  return {
    count: sent.length,
    medianMs: median(ms),
    p95Ms: percentile(ms, 95),
    maxMs: Math.max(...ms),
    seconds,
    cpuMsPerSend: cpu / sent.length,
    worstSessionMedianMs: Math.max(...perSession),
    gatewayCpuPercent: (cpu / (seconds * 1000 + 500)) * 100,
    harnessCpuPercent: (harnessCpuMs / (seconds * 1000 + 500)) * 100,
    gatewayWaitPercent: (waitMs / (seconds * 1000 + 500)) * 100,
    load: loadavg()[0]!,
    slowest: [...sent]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((x) => `s#${x.session} text ${x.round + 1} sent at +${(x.atMs / 1000).toFixed(1)} s took ${(x.ms / 1000).toFixed(2)} s`)
      .join('; '),
  };
}

/** One first text per session: its first send to the recipient also fetches the recipient's devices and keys. */
export async function warmUp(fleet: Fleet): Promise<SendFigures> {
  return measure(fleet, 1, 'sequential', 'warm-up');
}

/**
 * `rounds` texts per session. 'sequential': one request at a time, round robin over the sessions
 * (the latency of one send while N sessions are linked). 'concurrent': every session sends at
 * once, each its texts one after another (N requests in flight).
 */
export async function measure(fleet: Fleet, rounds: number, mode: 'sequential' | 'concurrent', label: string): Promise<SendFigures> {
  const n = fleet.sessions.length;
  const sent: Sent[] = [];
  const cpuBefore = cpuMs(fleet.pid);
  const harnessBefore = process.cpuUsage();
  const waitBefore = runQueueWaitMs(fleet.pid);
  const started = process.hrtime.bigint();
  if (mode === 'sequential') {
    for (let r = 0; r < rounds; r++) for (let s = 0; s < n; s++) sent.push(await sendText(fleet, s, r, `${label} ${r} from ${fleet.sessions[s]}`, started));
  } else {
    await Promise.all(
      Array.from({ length: n }, async (_, s) => {
        for (let r = 0; r < rounds; r++) sent.push(await sendText(fleet, s, r, `${label} ${r} from ${fleet.sessions[s]}`, started));
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await sleep(500);
  const cpu = cpuMs(fleet.pid) - cpuBefore;
  const harness = process.cpuUsage(harnessBefore);
  const wait = runQueueWaitMs(fleet.pid) - waitBefore;
  await proveArrivals(fleet.emulators, sent);
  return figures(sent, seconds, cpu, (harness.user + harness.system) / 1000, wait, n);
}

export interface ReceiveFigures {
  count: number;
  /** From the emulator's send (after it encrypted the text, in this harness) to the session's delivery receipt. */
  medianMs: number;
  p95Ms: number;
  /** Wall seconds until every account had its receipt. */
  seconds: number;
}

/**
 * Every account gets one incoming text at once; each session must send its delivery receipt. The
 * emulators encrypt in this process, so with many accounts the harness itself is slow to send:
 * the clock of each starts once its text is on the wire.
 */
export async function receiveOne(fleet: Fleet): Promise<ReceiveFigures> {
  const started = Date.now();
  const ms = await Promise.all(
    fleet.emulators.map(async (emu, i) => {
      const id = await emu.sendIncomingText(SENDER, `incoming for ${fleet.sessions[i]}`);
      const sent = process.hrtime.bigint();
      await emu.waitForClientReceipt((r) => r.id === id, 60_000);
      return Number(process.hrtime.bigint() - sent) / 1e6;
    }),
  );
  return { count: ms.length, medianMs: median(ms), p95Ms: percentile(ms, 95), seconds: (Date.now() - started) / 1000 };
}

export interface MemoryParts {
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  activeHandles: number;
}

/** Where the resident memory is, from the gateway's own /metrics (prom-client's process figures). */
export async function memoryParts(fleet: Fleet): Promise<MemoryParts> {
  const text = await fleet.text('/metrics');
  const value = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  };
  const mb = (name: string) => value(name) / 2 ** 20;
  return {
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
    activeHandles: value('nodejs_active_handles_total'),
  };
}
