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
 *   BENCH_ROUNDS=5 BENCH_TEXTS=300 npm run bench:ceiling   more rounds, more texts
 *   BENCH_MEDIA=0 npm run bench:ceiling                 without the (slow) conversions
 *   BENCH_GATEWAY=/tmp/old-dist/src/main.js ...         another build of the gateway (before a change)
 *   BENCH_ONLY=http npm run bench:ceiling               only the HTTP and idle-RSS figures (no texts, no media)
 *   BENCH_ONLY=texts npm run bench:ceiling              only the four text-send rows (no idle RSS, HTTP or media)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { linkGateway, startBareExpress, startBareSocket, startGatewayChild, type Child, type GatewayChild } from './ceiling/contenders.js';
import { INVALID_PHONE_BODY, runLoad, type LoadRequest } from './ceiling/load.js';
import { measureMedia } from './ceiling/media-ceiling.js';
import { cpuMs, median, rssMb, sleep } from './ceiling/process-stats.js';
import { soak } from './ceiling/soak.js';
import { fmt, runMain } from './ceiling/report.js';

const RECIPIENT = '6281234567890';
const JID = `${RECIPIENT}@s.whatsapp.net`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TEXTS = Number(process.env.BENCH_TEXTS ?? 200);
const HTTP_MS = Number(process.env.BENCH_HTTP_MS ?? 6000);
const HTTP_CONNECTIONS = 8;
/** Alternating slices per side in one round. */
const SLICES = Number(process.env.BENCH_SLICES ?? 6);
/** BENCH_ONLY=http: the HTTP and idle-RSS figures alone, for a quick look while working on the HTTP stack. */
const HTTP_ONLY = process.env.BENCH_ONLY === 'http';
/** BENCH_ONLY=texts: the text-send figures alone, for a quick before/after of the send path. */
const TEXTS_ONLY = process.env.BENCH_ONLY === 'texts';
/** Refused after libphonenumber's whole parse, on both sides (load.ts). */
const INVALID_PHONE: LoadRequest = { method: 'POST', path: '/api/send-message', body: INVALID_PHONE_BODY, expectStatus: 400 };
const STATUS: LoadRequest = { method: 'GET', path: '/api/status', expectStatus: 200 };

interface Row {
  figure: string;
  gateway: string;
  ceiling: string;
  ratio: string;
  target: string;
  met: string;
}

const row = (figure: string, gateway: string, ceiling: string, ratio: number, target: string, met: boolean): Row => ({
  figure,
  gateway,
  ceiling,
  ratio: ratio.toFixed(2),
  target,
  met: met ? 'yes' : 'NO',
});

interface Slice {
  count: number;
  seconds: number;
  cpuMs: number;
}

/**
 * Runs `work` once and measures it: wall seconds, and CPU ms of `pid` (plus `settleMs` after, for
 * trailing receipts; with `settled`, after that resolves too: the bare socket handles a slice's
 * receipts only once its send loop is over).
 */
async function slice(pid: number, settleMs: number, work: () => Promise<number>, settled?: () => Promise<void>): Promise<Slice> {
  const cpuBefore = cpuMs(pid);
  const started = process.hrtime.bigint();
  const count = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (settled) await settled();
  if (settleMs) await sleep(settleMs);
  return { count, seconds, cpuMs: cpuMs(pid) - cpuBefore };
}

interface Pair {
  gateway: Slice;
  ceiling: Slice;
}

/**
 * One round of a figure: SLICES short slices of each side, alternating (and alternating who goes
 * first), summed. On a machine whose load drifts from second to second, both sides then see
 * nearly the same conditions.
 */
async function alternate(gateway: () => Promise<Slice>, ceiling: () => Promise<Slice>): Promise<Pair> {
  const sum = (into: Slice, add: Slice) => ({ count: into.count + add.count, seconds: into.seconds + add.seconds, cpuMs: into.cpuMs + add.cpuMs });
  let g: Slice = { count: 0, seconds: 0, cpuMs: 0 };
  let c: Slice = { count: 0, seconds: 0, cpuMs: 0 };
  for (let i = 0; i < SLICES; i++) {
    if (i % 2 === 0) {
      g = sum(g, await gateway());
      c = sum(c, await ceiling());
    } else {
      c = sum(c, await ceiling());
      g = sum(g, await gateway());
    }
  }
  return { gateway: g, ceiling: c };
}

const rate = (s: Slice) => s.count / s.seconds;
const cpuPer = (s: Slice) => s.cpuMs / s.count;

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
    console.log(
      `${new Date().toISOString()}  node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GB RAM; ${ROUNDS} interleaved rounds, medians`,
    );
    emu = await startEmulator({ logger: pino({ level: 'silent' }) });
    // BENCH_GATEWAY: another build's src/main.js (a copy of dist/ from before a change) in place of this one.
    const main = process.env.BENCH_GATEWAY ? resolve(process.env.BENCH_GATEWAY) : undefined;
    gateway = await startGatewayChild(emu, join(root, 'gateway'), soakMode ? { LOG_LEVEL: 'warn' } : {}, [], main);
    children.push(gateway);
    await linkGateway(gateway, emu);

    if (soakMode) {
      const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
      console.log(`soak: ${minutes} min, 5 texts/s and one 1280×960 JPEG every 2 s, RSS every 5 s`);
      const result = await soak(gateway, root, { minutes, textsPerSecond: 5, imageEverySeconds: 2, recipient: RECIPIENT });
      console.log(result.samples.map((s) => `${s.minute.toFixed(1)}m ${s.rssMb.toFixed(1)}`).join('  '));
      if (result.failures.length) console.log(`${result.failures.length} sends failed, first: ${result.failures.slice(0, 3).join('; ')}`);
      console.log(
        `sent ${result.texts} texts and ${result.images} images; RSS slope over the last 8 min: ${result.slopeMbPerMinute.toFixed(3)} MB/min (target ≤ 0.5: ${result.slopeMbPerMinute <= 0.5 ? 'met' : 'NOT met'})`,
      );
      const last = result.samples.at(-1);
      console.log(
        `over the same minutes, V8's heap: size ${result.heapTotalSlope.toFixed(3)} MB/min, in use ${result.heapUsedSlope.toFixed(3)} MB/min` +
          (last ? ` (at the end: RSS ${fmt(last.rssMb, 1)} MB, heap ${fmt(last.heapTotalMb, 1)} MB of which ${fmt(last.heapUsedMb, 1)} MB in use)` : ''),
      );
      return;
    }

    const bare = await startBareSocket(emu);
    children.push(bare);
    const express = await startBareExpress();
    children.push(express);
    // Let post-pairing work (prekey upload, app-state sync) finish before "idle", and then the
    // gateway's idle trim have its two quiet 2 s intervals: the same 10 s as after the load. After
    // 5 s the trim had sometimes not run yet, and the row was bimodal (about 120 or 145-150 MB).
    await sleep(10_000);
    const rssGateway = TEXTS_ONLY ? NaN : await idleRss(gateway.pid);
    // The ceiling at its smallest: the bare socket has no trim of its own (bare-socket.ts, { collect }).
    if (!TEXTS_ONLY) await bare.collect();
    const rssBare = TEXTS_ONLY ? NaN : await idleRss(bare.pid);

    // Warm-up: JIT, sessions with the recipient's devices, caches.
    if (!HTTP_ONLY) {
      await gatewayTexts(gateway, 50);
      await bare.sendTexts(50, JID);
    }

    const texts: Pair[] = [];
    // The gateway answers a send only after WhatsApp's server ack; the bare socket's sendMessage
    // resolves once the stanza is written. The same bare socket waiting for each ack shows how
    // much of the gap is that round trip (information, not a target).
    const textsAcked: Pair[] = [];
    const invalid: Pair[] = [];
    const status: Pair[] = [];
    const perSlice = Math.max(1, Math.round(TEXTS / SLICES));
    const httpSlice = { connections: HTTP_CONNECTIONS, durationMs: Math.max(200, Math.round(HTTP_MS / SLICES)) };
    const load = (port: number, request: LoadRequest) => async () => (await runLoad(port, request, httpSlice)).requests;
    for (let round = 0; round < ROUNDS; round++) {
      if (!HTTP_ONLY) {
        texts.push(
          await alternate(
            () => slice(gateway!.pid, 300, async () => (await gatewayTexts(gateway!, perSlice), perSlice)),
            () => slice(bare.pid, 300, async () => (await bare.sendTexts(perSlice, JID), perSlice), bare.receipted),
          ),
        );
        textsAcked.push(
          await alternate(
            () => slice(gateway!.pid, 300, async () => (await gatewayTexts(gateway!, perSlice), perSlice)),
            () => slice(bare.pid, 300, async () => (await bare.sendTexts(perSlice, JID, true), perSlice), bare.receipted),
          ),
        );
      }
      if (TEXTS_ONLY) {
        const [t, ta] = [texts.at(-1)!, textsAcked.at(-1)!];
        console.log(
          `round ${round + 1}: texts/s ${fmt(rate(t.gateway))} vs ${fmt(rate(t.ceiling))}, CPU/send ${fmt(cpuPer(t.gateway), 2)} vs ${fmt(cpuPer(t.ceiling), 2)} ms; ` +
            `acked: texts/s ${fmt(rate(ta.gateway))} vs ${fmt(rate(ta.ceiling))}, CPU/send ${fmt(cpuPer(ta.gateway), 2)} vs ${fmt(cpuPer(ta.ceiling), 2)} ms`,
        );
        continue;
      }
      invalid.push(
        await alternate(
          () => slice(gateway!.pid, 0, load(gateway!.port, INVALID_PHONE)),
          () => slice(express.pid, 0, load(express.port, INVALID_PHONE)),
        ),
      );
      status.push(
        await alternate(
          () => slice(gateway!.pid, 0, load(gateway!.port, STATUS)),
          () => slice(express.pid, 0, load(express.port, STATUS)),
        ),
      );
      const t = texts.at(-1);
      const ta = textsAcked.at(-1);
      const i = invalid.at(-1)!;
      const st = status.at(-1)!;
      const textFigures =
        t && ta
          ? `texts/s ${fmt(rate(t.gateway))} vs ${fmt(rate(t.ceiling))}, CPU/send ${fmt(cpuPer(t.gateway), 2)} vs ${fmt(cpuPer(t.ceiling), 2)} ms; ` +
            `acked: texts/s ${fmt(rate(ta.gateway))} vs ${fmt(rate(ta.ceiling))}, CPU/send ${fmt(cpuPer(ta.gateway), 2)} vs ${fmt(cpuPer(ta.ceiling), 2)} ms; `
          : '';
      console.log(
        `round ${round + 1}: ${textFigures}` +
          `400s/s ${fmt(rate(i.gateway))} vs ${fmt(rate(i.ceiling))}; status/s ${fmt(rate(st.gateway))} vs ${fmt(rate(st.ceiling))}`,
      );
    }
    // Long enough for the gateway's idle trim: two quiet 2 s intervals, then a collection or two.
    if (!TEXTS_ONLY) await sleep(10_000);
    const rssGatewayAfter = TEXTS_ONLY ? NaN : await idleRss(gateway.pid);
    if (!TEXTS_ONLY) await bare.collect();
    const rssBareAfter = TEXTS_ONLY ? NaN : await idleRss(bare.pid);
    for (const child of children.splice(0)) await child.stop();
    await emu.stop();
    emu = undefined;

    // BENCH_MEDIA=0 skips the (slow) conversions, for a quick look at the rest.
    const media = HTTP_ONLY || TEXTS_ONLY || process.env.BENCH_MEDIA === '0' ? undefined : await measureMedia(root, ROUNDS);

    // Each figure: the medians of each side, and the median of the per-round ratios (each round's
    // two sides ran interleaved, so its ratio is the figure least disturbed by the machine's drift).
    const side = (pairs: Pair[], which: keyof Pair, f: (s: Slice) => number) => median(pairs.map((p) => f(p[which])));
    const ratio = (pairs: Pair[], f: (s: Slice) => number) => median(pairs.map((p) => f(p.gateway) / f(p.ceiling)));
    const textRows: Row[] = HTTP_ONLY
      ? []
      : [
          row(
            'text sends/s, sequential',
            fmt(side(texts, 'gateway', rate)),
            `bare Baileys socket, keys in memory: ${fmt(side(texts, 'ceiling', rate))}`,
            ratio(texts, rate),
            '≥ 0.80',
            ratio(texts, rate) >= 0.8,
          ),
          row(
            'CPU per text send',
            `${fmt(side(texts, 'gateway', cpuPer), 2)} ms`,
            `${fmt(side(texts, 'ceiling', cpuPer), 2)} ms`,
            ratio(texts, cpuPer),
            '≤ 1.30×',
            ratio(texts, cpuPer) <= 1.3,
          ),
          row(
            'text sends/s, vs the bare socket awaiting each server ack',
            fmt(side(textsAcked, 'gateway', rate)),
            `bare socket, awaiting acks: ${fmt(side(textsAcked, 'ceiling', rate))}`,
            ratio(textsAcked, rate),
            '(info)',
            true,
          ),
          row(
            'CPU per text send, vs the bare socket awaiting acks',
            `${fmt(side(textsAcked, 'gateway', cpuPer), 2)} ms`,
            `${fmt(side(textsAcked, 'ceiling', cpuPer), 2)} ms`,
            ratio(textsAcked, cpuPer),
            '(info)',
            true,
          ),
        ];
    const rows: Row[] = [
      ...textRows,
      row(
        'HTTP req/s, send-message invalid phone (400)',
        fmt(side(invalid, 'gateway', rate)),
        `bare Express 5: ${fmt(side(invalid, 'ceiling', rate))}`,
        ratio(invalid, rate),
        '≥ 0.80',
        ratio(invalid, rate) >= 0.8,
      ),
      row(
        'HTTP req/s, GET /api/status',
        fmt(side(status, 'gateway', rate)),
        `bare Express 5: ${fmt(side(status, 'ceiling', rate))}`,
        ratio(status, rate),
        '≥ 0.80',
        ratio(status, rate) >= 0.8,
      ),
      row(
        'HTTP CPU per 400 response',
        `${fmt(side(invalid, 'gateway', cpuPer), 3)} ms`,
        `${fmt(side(invalid, 'ceiling', cpuPer), 3)} ms`,
        ratio(invalid, cpuPer),
        '(info)',
        true,
      ),
      row(
        'HTTP CPU per status response',
        `${fmt(side(status, 'gateway', cpuPer), 3)} ms`,
        `${fmt(side(status, 'ceiling', cpuPer), 3)} ms`,
        ratio(status, cpuPer),
        '(info)',
        true,
      ),
      row(
        'idle RSS, linked',
        `${fmt(rssGateway, 1)} MB`,
        `bare Baileys socket: ${fmt(rssBare, 1)} MB`,
        rssGateway / rssBare,
        '≤ 1.10×',
        rssGateway / rssBare <= 1.1,
      ),
      row(
        'idle RSS, linked, after the load',
        `${fmt(rssGatewayAfter, 1)} MB`,
        `bare Baileys socket: ${fmt(rssBareAfter, 1)} MB`,
        rssGatewayAfter / rssBareAfter,
        '(info)',
        true,
      ),
    ];
    if (media) {
      rows.push(
        row(
          '30 s 720p mkv → mp4',
          `${fmt(media.videoPipelineS, 2)} s`,
          `plain ffmpeg: ${fmt(media.videoPlainS, 2)} s`,
          media.videoRatio,
          '≤ 1.10×',
          media.videoRatio <= 1.1,
        ),
        row(
          '60 s mp3 → voice note',
          `${fmt(media.voicePipelineS, 2)} s`,
          `plain ffmpeg: ${fmt(media.voicePlainS, 2)} s`,
          media.voiceRatio,
          '≤ 1.00×',
          media.voiceRatio <= 1.0,
        ),
        row(
          'two 720p conversions at once: first / last done',
          `${fmt(media.concurrentS[0], 2)} / ${fmt(media.concurrentS[1], 2)} s`,
          `one alone: ${fmt(media.videoPipelineS, 2)} s`,
          media.concurrentS[1] / media.concurrentS[0],
          'fair: ≈ 1',
          media.concurrentS[1] / media.concurrentS[0] <= 1.25,
        ),
      );
    }
    // BENCH_ONLY=texts: the text rows only; nothing else was measured.
    console.table(TEXTS_ONLY ? textRows : rows);
    console.log(
      `Each round runs ${SLICES} alternating slices per side; figures are medians over ${ROUNDS} rounds, ratios the median of the per-round ratios. ` +
        (HTTP_ONLY
          ? 'Texts and media: not run (BENCH_ONLY=http). '
          : `Texts: ${TEXTS} per side per round after 50 to warm up, one at a time (the gateway's over keep-alive HTTP), then again against the bare socket waiting for each server ack; CPU = /proc/<pid>/stat utime+stime of the sender over each slice plus 300 ms for trailing receipts (the bare socket's: until it has handled the delivery receipt of each of the slice's texts, then 300 ms). `) +
        `HTTP: ${HTTP_CONNECTIONS} keep-alive connections, ${HTTP_MS / 1000} s per side per round; the gateway runs with its defaults (request log at info, rate limit on), no API key. ` +
        'Idle RSS: median of 5 samples, 1 s apart (the gateway 10 s after linking and 10 s after the load, as its own idle trim leaves it; the bare socket after two full collections, its smallest). Media: wall time of the whole pipeline (probe, encode, read back, thumbnail) vs one ffmpeg command with the same codecs and settings.',
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

runMain(main);
