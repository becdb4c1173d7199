/**
 * The soak: a linked gateway under a bounded load of texts and images for ten minutes, its RSS
 * sampled every 5 s, and the slope of RSS over the last eight minutes by least squares. Memory
 * that only grows shows up as a positive slope long after start-up allocations settled.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { GatewayChild } from './contenders.js';
import { ffmpeg } from '../ffmpeg.js';
import { leastSquaresSlope, rssMb, sleep } from './process-stats.js';

export interface SoakOptions {
  minutes: number;
  /** Texts per second (sent one at a time). */
  textsPerSecond: number;
  /** One image every this many seconds. */
  imageEverySeconds: number;
  recipient: string;
}

/** One sample: RSS from /proc, the V8 heap from the gateway's own /metrics (NaN when unread). */
export interface SoakSample {
  minute: number;
  rssMb: number;
  heapTotalMb: number;
  heapUsedMb: number;
}

export interface SoakResult {
  samples: SoakSample[];
  slopeMbPerMinute: number;
  /** Slopes over the same minutes of V8's heap: its size (what it holds from the OS) and its use. */
  heapTotalSlope: number;
  heapUsedSlope: number;
  texts: number;
  images: number;
  /** Sends that did not answer 200, in order. */
  failures: string[];
}

function multipartImage(phone: string, image: Buffer): { contentType: string; body: Buffer } {
  const boundary = '----soak7f3a';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="phone"\r\n\r\n${phone}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat([Buffer.from(head), image, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}

/** `nodejs_heap_size_{total,used}_bytes` of the gateway's Prometheus text, in MB. */
async function heapOf(gateway: GatewayChild): Promise<{ heapTotalMb: number; heapUsedMb: number }> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
    return { heapTotalMb: read('nodejs_heap_size_total_bytes'), heapUsedMb: read('nodejs_heap_size_used_bytes') };
  } catch {
    return { heapTotalMb: NaN, heapUsedMb: NaN };
  }
}

export async function soak(gateway: GatewayChild, dir: string, options: SoakOptions): Promise<SoakResult> {
  const imagePath = join(dir, 'soak.jpg');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1280x960:rate=1', '-frames:v', '1', '-q:v', '4', imagePath]);
  const image = multipartImage(options.recipient, readFileSync(imagePath));
  const endAt = Date.now() + options.minutes * 60_000;
  const started = Date.now();
  let texts = 0;
  let images = 0;
  const failures: string[] = [];
  // A failed send is counted and shown, not fatal: the soak is about memory, and a send refused
  // by a busy machine (a media upload timing out) is part of a long run too.
  const check = (what: string, status: number, body: unknown) => {
    if (status === 200) return true;
    failures.push(`${what}: HTTP ${status} ${String((body as { message?: unknown } | undefined)?.message ?? '')}`);
    return false;
  };

  // A request that got no answer (a keep-alive socket the server closed just as it was reused) is
  // a failure to count, not the end of the run; a gateway that died ends it (the sampler, and
  // the check after the loops).
  const answerOf = async <T>(what: string, request: Promise<T>): Promise<T | undefined> => {
    try {
      return await request;
    } catch (error) {
      failures.push(`${what}: no answer (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  };

  const textLoop = async () => {
    while (Date.now() < endAt) {
      const next = Date.now() + 1000 / options.textsPerSecond;
      const res = await answerOf('text', gateway.postJson('/api/send-message', { phone: options.recipient, message: `soak ${texts}` }));
      if (res && check('text', res.status, res.body)) texts++;
      await sleep(Math.max(0, next - Date.now()));
    }
  };
  const imageLoop = async () => {
    while (Date.now() < endAt) {
      const next = Date.now() + options.imageEverySeconds * 1000;
      const res = await answerOf('image', gateway.post('/api/send-image', image.contentType, image.body));
      if (res && check('image', res.status, res.body)) images++;
      await sleep(Math.max(0, next - Date.now()));
    }
  };
  const samples: SoakSample[] = [];
  // RSS is read first, at the tick; the heap answer follows within milliseconds (one scrape in 5 s
  // is no load to speak of). Where the RSS slope comes from: V8's heap growing, or memory outside it.
  const sampler = setInterval(() => {
    const minute = (Date.now() - started) / 60_000;
    const rss = rssMb(gateway.pid);
    void heapOf(gateway).then((heap) => samples.push({ minute, rssMb: rss, ...heap }));
  }, 5000);
  try {
    await Promise.all([textLoop(), imageLoop()]);
  } finally {
    clearInterval(sampler);
  }
  process.kill(gateway.pid, 0); // throws if the gateway is gone: its RSS samples would mean nothing
  const from = options.minutes - 8;
  samples.sort((a, b) => a.minute - b.minute);
  const tail = samples.filter((s) => s.minute >= from);
  const slopeOf = (value: (s: SoakSample) => number) =>
    leastSquaresSlope(tail.filter((s) => Number.isFinite(value(s))).map((s) => ({ x: s.minute, y: value(s) })));
  return {
    samples,
    slopeMbPerMinute: slopeOf((s) => s.rssMb),
    heapTotalSlope: slopeOf((s) => s.heapTotalMb),
    heapUsedSlope: slopeOf((s) => s.heapUsedMb),
    texts,
    images,
    failures,
  };
}
