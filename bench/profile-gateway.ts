/**
 * Where the gateway's CPU goes, for the figures bench:ceiling compares: the production gateway as
 * a child with `--cpu-prof`, linked to the emulator, sends texts one after another and answers the
 * two HTTP paths under load; the profile (.cpuprofile, open it in Chrome DevTools or read the
 * summary printed here) is written when the gateway exits.
 *
 *   npm run build && node dist/bench/profile-gateway.js [texts|http400|status|all|bare|bare-express]
 * (`bare`: the bare socket of the ceiling instead, sending the same texts; `bare-express`: the
 * bare Express app under the 400 load; PROFILE_BARE_ACK=1: the bare socket waits for each server
 * ack, as the gateway does before it answers)
 *   PROFILE_TEXTS=400 PROFILE_HTTP_MS=5000 PROFILE_DIR=/tmp/prof ...
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator } from '../emulator/index.js';
import { linkGateway, startBareExpress, startBareSocket, startGatewayChild } from './ceiling/contenders.js';
import { INVALID_PHONE_BODY, runLoad } from './ceiling/load.js';
import { cpuMs, sleep } from './ceiling/process-stats.js';
import { runMain } from './ceiling/report.js';

const RECIPIENT = '6281234567890';
const TEXTS = Number(process.env.PROFILE_TEXTS ?? 300);
const HTTP_MS = Number(process.env.PROFILE_HTTP_MS ?? 4000);
const DIR = resolve(process.env.PROFILE_DIR ?? join(tmpdir(), 'wa-gateway-profiles'));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
}

/**
 * Who a sample's time belongs to: the frame nearest the leaf that is our code (by area) or a
 * package; native and node-internal frames (a socket write, a SQLite step) count for the code that
 * called them. So "Baileys" is Baileys' own work, without our listeners it calls.
 */
function owner(url: string, functionName: string): string | undefined {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (/\/dist\/src\/records\/|better-sqlite3|sqlite-auth-state|missing-key-memo|kysely/.test(url)) return 'ours: SQLite stores (records, keys, sent content)';
  if (/\/dist\/src\/(http|app|metrics|console)|\/(express|router|body-parser|prom-client|raw-body|on-finished|finalhandler)\/|node:_http/.test(url))
    return 'ours: HTTP (Express, routes, metrics)';
  if (/\/dist\/src\//.test(url)) return 'ours: other gateway code';
  if (/\/dist\/bench\//.test(url)) return 'bench driver';
  if (/baileys|libsignal|whatsapp-rust-bridge|\/ws\/|async-mutex|protobufjs|lru-cache|node-cache|@hapi|curve25519|pino/.test(url))
    return 'Baileys (with libsignal, ws, its caches and mutexes)';
  return undefined;
}

/**
 * Self time by function (top 40), by package/file (top 25), by owner (see owner()) and inclusive time (top 60), in % of
 * the samples taken in the measured window (`fromEndUs`..`toEndUs` microseconds before the
 * profile's end), so start-up and pairing do not drown the steady state.
 */
function summarize(file: string, fromEndUs: number, toEndUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  };
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const times: number[] = [];
  let t = profile.endTime;
  for (let i = profile.samples.length - 1; i >= 0; i--) {
    times[i] = profile.endTime - t;
    t -= profile.timeDeltas[i] ?? 0;
  }
  // Busy samples only: percentages of the CPU the gateway used, not of the wall time.
  const chosen = profile.samples.filter((id, i) => times[i]! <= fromEndUs && times[i]! >= toEndUs && byId.get(id)!.callFrame.functionName !== '(idle)');
  for (const id of chosen) {
    const seen = new Set<string>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const l = label(byId.get(up)!);
      if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + 1);
      seen.add(l);
    }
    const node = byId.get(id)!;
    const fn = label(node);
    self.set(fn, (self.get(fn) ?? 0) + 1);
    const { functionName, url } = node.callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const pkg = where.startsWith('dist/') ? where : (where.match(/^(@[^/]+\/[^/]+|[^/]+)/)?.[1] ?? where) || functionName;
    byFile.set(pkg, (byFile.get(pkg) ?? 0) + 1);
    let who: string | undefined;
    for (let up: number | undefined = id; up !== undefined && !who; up = parent.get(up)) {
      const frame = byId.get(up)!.callFrame;
      who = owner(frame.url, frame.functionName);
    }
    who ??= 'node/native, no owner (event loop, timers)';
    byOwner.set(who, (byOwner.get(who) ?? 0) + 1);
  }
  const total = chosen.length;
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  console.log(
    `${file}: ${total} samples in the window ${Math.round(fromEndUs)}..${Math.round(toEndUs)} µs before the end\n-- self time by function --\n${top(self, 40)}\n-- by file/package --\n${top(byFile, 25)}\n-- by owner --\n${top(byOwner, 10)}\n-- inclusive --\n${top(inclusive, 60)}`,
  );
}

/** The ceiling's side: the bare socket sending the same texts, profiled the same way. */
async function profileBareSocket(): Promise<void> {
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const before = new Set(readdirSync(DIR));
  const bare = await startBareSocket(emu, ['--cpu-prof', `--cpu-prof-dir=${DIR}`]);
  let measuredFrom: number | undefined;
  let measuredTo: number | undefined;
  // The profile ends when the process exits: the window is counted back from that moment.
  let exitedAt = 0;
  bare.process.once('exit', () => (exitedAt = Date.now()));
  try {
    await sleep(5000);
    const awaitAck = process.env.PROFILE_BARE_ACK === '1';
    await bare.sendTexts(50, `${RECIPIENT}@s.whatsapp.net`, awaitAck);
    await bare.receipted();
    const cpu0 = cpuMs(bare.pid);
    measuredFrom = Date.now();
    await bare.sendTexts(TEXTS, `${RECIPIENT}@s.whatsapp.net`, awaitAck);
    // Its receipts too, as the gateway's are in its window (see bare-socket.ts).
    await bare.receipted();
    await sleep(300);
    measuredTo = Date.now();
    console.log(`bare socket texts: ${TEXTS} in ${measuredTo - measuredFrom} ms, ${((cpuMs(bare.pid) - cpu0) / TEXTS).toFixed(2)} ms CPU each`);
  } finally {
    // SIGTERM ends the bare socket without running exit hooks; SIGINT neither: ask it to exit.
    bare.process.send?.({ exit: true });
    await sleep(1500);
    await bare.stop();
    await emu.stop();
  }
  await sleep(500);
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)))
    summarize(join(DIR, f), (exitedAt - (measuredFrom ?? exitedAt)) * 1000, (exitedAt - (measuredTo ?? exitedAt)) * 1000);
}

/** The HTTP ceiling's side: the bare Express app under the same 400 load. */
async function profileBareExpress(): Promise<void> {
  const before = new Set(readdirSync(DIR));
  const express = await startBareExpress(['--cpu-prof', `--cpu-prof-dir=${DIR}`]);
  let exitedAt = 0;
  express.process.once('exit', () => (exitedAt = Date.now()));
  const body = INVALID_PHONE_BODY;
  const opts = { connections: 8, durationMs: HTTP_MS };
  await runLoad(express.port, { method: 'POST', path: '/api/send-message', body, expectStatus: 400 }, opts);
  const measuredFrom = Date.now();
  const r = await runLoad(express.port, { method: 'POST', path: '/api/send-message', body, expectStatus: 400 }, opts);
  const measuredTo = Date.now();
  console.log(`bare Express 400s: ${r.requests}`);
  await express.stop();
  await sleep(500);
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)))
    summarize(join(DIR, f), (exitedAt - measuredFrom) * 1000, (exitedAt - measuredTo) * 1000);
}

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'all';
  mkdirSync(DIR, { recursive: true });
  if (what === 'bare') return profileBareSocket();
  if (what === 'bare-express') return profileBareExpress();
  const root = await mkdtemp(join(tmpdir(), 'wa-profile-'));
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const gateway = await startGatewayChild(emu, join(root, 'gateway'), {}, ['--cpu-prof', `--cpu-prof-dir=${DIR}`]);
  const before = new Set(readdirSync(DIR));
  let measuredFrom: number | undefined;
  let measuredTo: number | undefined;
  let exitedAt = 0;
  try {
    await linkGateway(gateway, emu);
    await sleep(5000);
    for (let i = 0; i < 50; i++) await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `warm ${i}` });
    const cpu0 = cpuMs(gateway.pid);
    measuredFrom = Date.now();
    if (what === 'texts' || what === 'all') {
      const t0 = Date.now();
      for (let i = 0; i < TEXTS; i++) {
        const res = await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `profile ${i}` });
        if (res.status !== 200) throw new Error(`send-message: HTTP ${res.status}`);
      }
      await sleep(300);
      console.log(`texts: ${TEXTS} in ${Date.now() - t0} ms, ${((cpuMs(gateway.pid) - cpu0) / TEXTS).toFixed(2)} ms CPU each`);
    }
    const opts = { connections: 8, durationMs: HTTP_MS };
    if (what === 'http400' || what === 'all') {
      const body = INVALID_PHONE_BODY;
      const r = await runLoad(gateway.port, { method: 'POST', path: '/api/send-message', body, expectStatus: 400 }, opts);
      console.log(`400s: ${r.requests}`);
    }
    if (what === 'status' || what === 'all') {
      const r = await runLoad(gateway.port, { method: 'GET', path: '/api/status', expectStatus: 200 }, opts);
      console.log(`status: ${r.requests}`);
    }
    measuredTo = Date.now();
  } finally {
    gateway.process.once('exit', () => (exitedAt = Date.now()));
    await gateway.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
  await sleep(500);
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)))
    summarize(join(DIR, f), (exitedAt - (measuredFrom ?? exitedAt)) * 1000, (exitedAt - (measuredTo ?? exitedAt)) * 1000);
}

runMain(main);
