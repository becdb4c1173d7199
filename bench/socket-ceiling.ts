/**
 * How close the gateway comes to what it is built on, measured side by side in one run:
 *
 *   text sends/s and CPU per send   gateway (HTTP → records → Baileys)   vs a bare Baileys socket with keys in memory
 *   HTTP requests/s, 400 and status  gateway                              vs a bare Express 5 app doing the same check
 *   idle RSS, linked                 gateway                              vs the bare Baileys socket
 *   720p mkv → mp4, mp3 → voice note our media pipeline                  vs one plain ffmpeg command
 *
 * Every contender is a child process (the gateway is the production build, dist/src/main.js)
 * against the same emulator in this process. Rounds are interleaved, alternating who goes
 * first, and the figures are medians: on a shared machine absolute numbers drift, ratios
 * measured side by side much less.
 *
 *   npm run bench:ceiling                       (builds, then runs dist/bench/socket-ceiling.js)
 *   npm run bench:ceiling -- --soak             the 10-minute soak instead (texts and images, RSS slope)
 *   BENCH_ROUNDS=5 BENCH_TEXTS=300 npm run bench:ceiling
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { linkGateway, startBareExpress, startBareSocket, startGatewayChild, type Child, type GatewayChild } from './ceiling/contenders.js';
import { runLoad, type LoadRequest } from './ceiling/load.js';
import { measureMedia } from './ceiling/media-ceiling.js';
import { cpuMs, median, rssMb, sleep } from './ceiling/process-stats.js';
import { soak } from './ceiling/soak.js';

const RECIPIENT = '6281234567890';
const JID = `${RECIPIENT}@s.whatsapp.net`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TEXTS = Number(process.env.BENCH_TEXTS ?? 200);
const HTTP_MS = Number(process.env.BENCH_HTTP_MS ?? 3000);
const HTTP_CONNECTIONS = 8;
/** Passes the digit check, fails libphonenumber (no country code 999): the parse is done. */
const INVALID_PHONE: LoadRequest = { method: 'POST', path: '/api/send-message', body: JSON.stringify({ phone: '99912345678', message: 'hi' }), expectStatus: 400 };
const STATUS: LoadRequest = { method: 'GET', path: '/api/status', expectStatus: 200 };

interface Row {
  figure: string;
  gateway: string;
  ceiling: string;
  ratio: string;
  target: string;
  met: string;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (figure: string, gateway: string, ceiling: string, ratio: number, target: string, met: boolean): Row => ({ figure, gateway, ceiling, ratio: ratio.toFixed(2), target, met: met ? 'yes' : 'NO' });

/** Sends `count` texts one after another; wall seconds and CPU ms of `pid` (including 300 ms for trailing receipts). */
async function textRound(pid: number, count: number, send: () => Promise<void>): Promise<{ perSecond: number; cpuPerSendMs: number }> {
  const cpuBefore = cpuMs(pid);
  const started = process.hrtime.bigint();
  await send();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await sleep(300);
  return { perSecond: count / seconds, cpuPerSendMs: (cpuMs(pid) - cpuBefore) / count };
}

async function gatewayTexts(gateway: GatewayChild, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `gateway ${i}` });
    if (res.status !== 200) throw new Error(`send-message: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

async function idleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMb(pid));
    await sleep(1000);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const soakMode = process.argv.includes('--soak');
  const root = await mkdtemp(join(tmpdir(), 'wa-ceiling-bench-'));
  const children: Child[] = [];
  let emu: Emulator | undefined;
  let gateway: GatewayChild | undefined;
  try {
    console.log(`${new Date().toISOString()}  node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GB RAM; ${ROUNDS} interleaved rounds, medians`);
    emu = await startEmulator({ logger: pino({ level: 'silent' }) });
    gateway = await startGatewayChild(emu, join(root, 'gateway'), soakMode ? { LOG_LEVEL: 'warn' } : {});
    children.push(gateway);
    await linkGateway(gateway, emu);

    if (soakMode) {
      const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
      console.log(`soak: ${minutes} min, 5 texts/s and one 1280×960 JPEG every 2 s, RSS every 5 s`);
      const result = await soak(gateway, root, { minutes, textsPerSecond: 5, imageEverySeconds: 2, recipient: RECIPIENT });
      console.log(result.samples.map((s) => `${s.minute.toFixed(1)}m ${s.rssMb.toFixed(1)}`).join('  '));
      console.log(`sent ${result.texts} texts and ${result.images} images; RSS slope over the last 8 min: ${result.slopeMbPerMinute.toFixed(3)} MB/min (target ≤ 0.5: ${result.slopeMbPerMinute <= 0.5 ? 'met' : 'NOT met'})`);
      return;
    }

    const bare = await startBareSocket(emu);
    children.push(bare);
    const express = await startBareExpress();
    children.push(express);
    // Let post-pairing work (prekey upload, app-state sync) finish before "idle".
    await sleep(5000);
    const rssGateway = await idleRss(gateway.pid);
    const rssBare = await idleRss(bare.pid);

    // Warm-up: JIT, sessions with the recipient's devices, caches.
    await gatewayTexts(gateway, 50);
    await bare.sendTexts(50, JID);

    const texts = { gateway: [] as number[], bare: [] as number[], gatewayCpu: [] as number[], bareCpu: [] as number[] };
    const http = { invalidGateway: [] as number[], invalidBare: [] as number[], statusGateway: [] as number[], statusBare: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const sides = [
        async () => {
          const r = await textRound(gateway!.pid, TEXTS, () => gatewayTexts(gateway!, TEXTS));
          texts.gateway.push(r.perSecond);
          texts.gatewayCpu.push(r.cpuPerSendMs);
        },
        async () => {
          const r = await textRound(bare.pid, TEXTS, () => bare.sendTexts(TEXTS, JID));
          texts.bare.push(r.perSecond);
          texts.bareCpu.push(r.cpuPerSendMs);
        },
        async () => http.invalidGateway.push((await runLoad(gateway!.port, INVALID_PHONE, { connections: HTTP_CONNECTIONS, durationMs: HTTP_MS })).perSecond),
        async () => http.invalidBare.push((await runLoad(express.port, INVALID_PHONE, { connections: HTTP_CONNECTIONS, durationMs: HTTP_MS })).perSecond),
        async () => http.statusGateway.push((await runLoad(gateway!.port, STATUS, { connections: HTTP_CONNECTIONS, durationMs: HTTP_MS })).perSecond),
        async () => http.statusBare.push((await runLoad(express.port, STATUS, { connections: HTTP_CONNECTIONS, durationMs: HTTP_MS })).perSecond),
      ];
      const order = round % 2 === 0 ? sides : [sides[1]!, sides[0]!, sides[3]!, sides[2]!, sides[5]!, sides[4]!];
      for (const side of order) await side();
      console.log(`round ${round + 1}: texts/s ${fmt(texts.gateway.at(-1)!)} vs ${fmt(texts.bare.at(-1)!)}; 400s/s ${fmt(http.invalidGateway.at(-1)!)} vs ${fmt(http.invalidBare.at(-1)!)}; status/s ${fmt(http.statusGateway.at(-1)!)} vs ${fmt(http.statusBare.at(-1)!)}`);
    }
    await sleep(5000);
    const rssGatewayAfter = await idleRss(gateway.pid);
    const rssBareAfter = await idleRss(bare.pid);
    for (const child of children.splice(0)) await child.stop();
    await emu.stop();
    emu = undefined;

    const media = await measureMedia(root, ROUNDS);

    const m = (values: number[]) => median(values);
    const rows: Row[] = [
      row('text sends/s, sequential', fmt(m(texts.gateway)), `bare Baileys socket, keys in memory: ${fmt(m(texts.bare))}`, m(texts.gateway) / m(texts.bare), '≥ 0.80', m(texts.gateway) / m(texts.bare) >= 0.8),
      row('CPU per text send', `${fmt(m(texts.gatewayCpu), 2)} ms`, `${fmt(m(texts.bareCpu), 2)} ms`, m(texts.gatewayCpu) / m(texts.bareCpu), '≤ 1.30×', m(texts.gatewayCpu) / m(texts.bareCpu) <= 1.3),
      row('HTTP req/s, send-message invalid phone (400)', fmt(m(http.invalidGateway)), `bare Express 5: ${fmt(m(http.invalidBare))}`, m(http.invalidGateway) / m(http.invalidBare), '≥ 0.80', m(http.invalidGateway) / m(http.invalidBare) >= 0.8),
      row('HTTP req/s, GET /api/status', fmt(m(http.statusGateway)), `bare Express 5: ${fmt(m(http.statusBare))}`, m(http.statusGateway) / m(http.statusBare), '≥ 0.80', m(http.statusGateway) / m(http.statusBare) >= 0.8),
      row('idle RSS, linked', `${fmt(rssGateway, 1)} MB`, `bare Baileys socket: ${fmt(rssBare, 1)} MB`, rssGateway / rssBare, '≤ 1.10×', rssGateway / rssBare <= 1.1),
      row('idle RSS, linked, after the load', `${fmt(rssGatewayAfter, 1)} MB`, `bare Baileys socket: ${fmt(rssBareAfter, 1)} MB`, rssGatewayAfter / rssBareAfter, '(info)', true),
      row('30 s 720p mkv → mp4', `${fmt(media.videoPipelineS, 2)} s`, `plain ffmpeg: ${fmt(media.videoPlainS, 2)} s`, media.videoPipelineS / media.videoPlainS, '≤ 1.10×', media.videoPipelineS / media.videoPlainS <= 1.1),
      row('60 s mp3 → voice note', `${fmt(media.voicePipelineS, 2)} s`, `plain ffmpeg: ${fmt(media.voicePlainS, 2)} s`, media.voicePipelineS / media.voicePlainS, '≤ 1.00×', media.voicePipelineS / media.voicePlainS <= 1.0),
      row('two 720p conversions at once: first / last done', `${fmt(media.concurrentS[0], 2)} / ${fmt(media.concurrentS[1], 2)} s`, `one alone: ${fmt(media.videoPipelineS, 2)} s`, media.concurrentS[1] / media.concurrentS[0], 'fair: ≈ 1', media.concurrentS[1] / media.concurrentS[0] <= 1.25),
    ];
    console.table(rows);
    console.log(
      `texts: ${TEXTS} per round after 50 to warm up, one at a time (the gateway's over keep-alive HTTP); CPU = /proc/<pid>/stat utime+stime of the sender over the round plus 300 ms. ` +
        `HTTP: ${HTTP_CONNECTIONS} keep-alive connections for ${HTTP_MS / 1000} s per round; the gateway runs with its defaults (request log at info, rate limit on), no API key. ` +
        'Idle RSS: median of 5 samples, 1 s apart. Media: wall time of the whole pipeline (probe, encode, read back, thumbnail) vs one ffmpeg command with the same codecs and settings.',
    );
  } catch (error) {
    if (gateway) console.error(`gateway output (tail):\n${gateway.output()}`);
    throw error;
  } finally {
    for (const child of children) await child.stop();
    await emu?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
