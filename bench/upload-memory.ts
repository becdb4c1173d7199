/**
 * Memory of the production gateway while it sends a 63 MB video: the issue asks that "files stream
 * to disk under random names in UPLOAD_DIR and from disk to Baileys, so memory stays flat for a
 * 64 MB video". The gateway runs as a child process (dist/src/main.js, what `npm start` runs)
 * against the WhatsApp emulator in this process, so only the gateway's own memory is measured:
 * /proc/<pid>/status VmRSS is sampled every 20 ms, and VmHWM (the kernel's peak resident set,
 * reset before every upload through /proc/<pid>/clear_refs) read when the response is in.
 *
 * The video is a 2 s H.264/AAC mp4 padded with a top-level `free` box to 63 MB: still a
 * phone-playable mp4 by ffprobe, so the gateway's media step passes it through untouched and what
 * is measured is upload → disk → content check → probe → Baileys encrypt → HTTPS upload.
 * The multipart body is streamed from disk with node:http, so this process holds none of it.
 *
 *   npm run bench:upload           (builds, then runs dist/bench/upload-memory.js)
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { linkGateway, startGatewayChild, type GatewayChild } from './ceiling/contenders.js';
import { sleep } from './ceiling/process-stats.js';
import { ffmpeg } from './ffmpeg.js';

const require = createRequire(import.meta.url);
const FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const RECIPIENT = '6281234567890';
const MiB = 1024 * 1024;
const BIG_BYTES = 63 * MiB;
const SMALL_BYTES = 1 * MiB;
const RUNS = 3;
const SAMPLE_MS = 20;

// ---------------------------------------------------------------------------------------------
// Helpers

function run(tool: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${tool} exited ${code}: ${err.trim()}`))));
  });
}

/** Every file below `dir` (the gateway keeps empty working folders such as .converting). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => entry.name);
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);

function procStatus(pid: number): Record<string, number> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const fields: Record<string, number> = {};
  for (const match of text.matchAll(/^(Vm\w+|Rss\w+):\s+(\d+) kB$/gm)) fields[match[1]!] = Number(match[2]);
  return fields;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where the kernel refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmRSS of the gateway every 20 ms, and the largest RSS of any process it spawned (ffprobe/ffmpeg). */
class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakKb = 0;
  peakAnonKb = 0;
  peakHelperKb = 0;
  samples = 0;
  /** Peak up to mark() (the request body sent) and after it (processing and the Baileys upload). */
  peakBeforeMarkKb = 0;
  peakAfterMarkKb = 0;
  marked = false;

  constructor(private readonly pid: number) {}

  start(): void {
    this.peakKb = 0;
    this.peakAnonKb = 0;
    this.peakHelperKb = 0;
    this.samples = 0;
    this.peakBeforeMarkKb = 0;
    this.peakAfterMarkKb = 0;
    this.marked = false;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  mark(): void {
    this.sample();
    this.marked = true;
  }

  private sample(): void {
    const status = procStatus(this.pid);
    const rss = status.VmRSS ?? 0;
    this.peakKb = Math.max(this.peakKb, rss);
    if (this.marked) this.peakAfterMarkKb = Math.max(this.peakAfterMarkKb, rss);
    else this.peakBeforeMarkKb = Math.max(this.peakBeforeMarkKb, rss);
    this.peakAnonKb = Math.max(this.peakAnonKb, status.RssAnon ?? 0);
    this.samples++;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const text = readFileSync(`/proc/${entry}/status`, 'utf8');
        if (Number(/^PPid:\s+(\d+)/m.exec(text)?.[1]) !== this.pid) continue;
        this.peakHelperKb = Math.max(this.peakHelperKb, Number(/^VmRSS:\s+(\d+)/m.exec(text)?.[1] ?? 0));
      } catch {
        // exited between readdir and read
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** A 2 s phone-playable mp4 (H.264 Main, yuv420p, AAC, moov first), padded to `bytes` with a free box. */
async function makePaddedMp4(dir: string, name: string, bytes: number): Promise<string> {
  const path = join(dir, name);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=2:size=640x360:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=2',
    '-c:v',
    'libx264',
    '-profile:v',
    'main',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    '-movflags',
    '+faststart',
    path,
  ]);
  const padding = bytes - statSync(path).size;
  if (padding < 8) throw new Error(`the clip is already ${statSync(path).size} bytes`);
  // A top-level `free` box: 4-byte big-endian size (header included), the type, then zeros.
  const fd = openSync(path, 'a');
  try {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(padding, 0);
    header.write('free', 4, 'latin1');
    writeSync(fd, header);
    const zeros = Buffer.alloc(MiB);
    for (let left = padding - 8; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
  } finally {
    closeSync(fd);
  }
  if (statSync(path).size !== bytes) throw new Error(`${name} is ${statSync(path).size} bytes, expected ${bytes}`);

  const probe = JSON.parse(await run(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path])) as {
    format: { format_name?: string };
    streams: Array<{ codec_type?: string; codec_name?: string; profile?: string; pix_fmt?: string }>;
  };
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  const ok =
    (probe.format.format_name ?? '').split(',').includes('mp4') && video?.codec_name === 'h264' && video.pix_fmt === 'yuv420p' && audio?.codec_name === 'aac';
  if (!ok) throw new Error(`${name} does not probe as h264/aac mp4: ${JSON.stringify({ format: probe.format.format_name, video, audio })}`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// HTTP against the child

interface Timed {
  status: number;
  body: Record<string, unknown>;
  /** Seconds until the last body byte was handed to the socket. */
  sentS: number;
  /** Seconds until the response was complete. */
  totalS: number;
}

/** POST multipart/form-data with the file streamed from disk (Content-Length known up front). */
function postFile(
  port: number,
  endpoint: string,
  fields: Record<string, string>,
  filePath: string,
  fileName: string,
  mimetype: string,
  onSent: () => void,
): Promise<Timed> {
  const boundary = `----bench${Date.now().toString(16)}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${mimetype}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + statSync(filePath).size + Buffer.byteLength(tail);
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  return new Promise((resolvePromise, reject) => {
    let sentS = 0;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: endpoint,
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': length },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          try {
            resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, sentS: sentS || elapsed(), totalS: elapsed() });
          } catch (error) {
            reject(new Error(`unreadable response ${res.statusCode}: ${text.slice(0, 200)} (${String(error)})`));
          }
        });
      },
    );
    req.on('error', reject);
    req.on('finish', () => {
      sentS = elapsed();
      onSent();
    });
    req.write(head);
    const file = createReadStream(filePath);
    file.on('error', reject);
    file.on('end', () => req.end(tail));
    file.pipe(req, { end: false });
  });
}

async function postJson(gateway: GatewayChild, endpoint: string, body: unknown): Promise<Timed> {
  const started = process.hrtime.bigint();
  const res = await gateway.postJson(endpoint, body);
  const totalS = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...res, sentS: 0, totalS };
}

// ---------------------------------------------------------------------------------------------
// The measurement

interface Row {
  case: string;
  'idle RSS MB': string;
  'peak RSS MB': string;
  'VmHWM MB': string;
  'peak receiving / processing MB': string;
  'peak anon MB': string;
  'after 2 s MB': string;
  'heap used/total MB': string;
  'sent s': string;
  'total s': string;
  'ffprobe/ffmpeg peak MB': string;
  verified: string;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'wa-upload-bench-'));
  let emu: Emulator | undefined;
  let gateway: GatewayChild | undefined;
  try {
    console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); working in ${root}`);
    const big = await makePaddedMp4(root, 'big.mp4', BIG_BYTES);
    const small = await makePaddedMp4(root, 'small.mp4', SMALL_BYTES);
    console.log(`inputs: ${BIG_BYTES} and ${SMALL_BYTES} byte H.264 Main/AAC mp4s (2 s clip + free box), both probe as phone-playable`);

    emu = await startEmulator();
    const uploadDir = join(root, 'uploads');
    const childTmp = join(root, 'tmp');
    // The rate limit off and the request log quiet: what is measured is the upload, not them.
    gateway = await startGatewayChild(emu, root, {
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      MAX_VIDEO_SIZE_MB: '64',
      PACING_RECIPIENT_INTERVAL_MS: '0',
    });
    const { pid, port } = gateway;
    await linkGateway(gateway, emu);
    // Let the post-pairing work (prekey upload, app-state queries) settle before "idle".
    await sleep(3000);
    const canResetPeak = resetPeak(pid);
    const idleKb = procStatus(pid).VmRSS ?? 0;
    console.log(
      `gateway pid ${pid} paired and connected; idle RSS ${mb(idleKb)} MB; VmHWM reset per case: ${canResetPeak ? 'yes' : 'no (VmHWM is the lifetime peak)'}`,
    );

    const sampler = new RssSampler(pid);
    const rows: Row[] = [];

    const measure = async (
      label: string,
      send: (onSent: () => void) => Promise<Timed>,
      verify: (body: Record<string, unknown>) => Promise<string>,
    ): Promise<void> => {
      const before = procStatus(pid).VmRSS ?? 0;
      resetPeak(pid);
      sampler.start();
      let result: Timed;
      try {
        result = await send(() => sampler.mark());
      } finally {
        sampler.stop();
      }
      const hwm = procStatus(pid).VmHWM ?? 0;
      if (result.status !== 200) throw new Error(`${label}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
      const verified = await verify(result.body);
      await sleep(2000);
      const after = procStatus(pid).VmRSS ?? 0;
      const heap = (await gateway!.getJson('/'))?.memory as { used?: number; total?: number } | undefined;
      const leftovers = [...filesUnder(uploadDir), ...filesUnder(childTmp)];
      rows.push({
        case: label,
        'idle RSS MB': mb(before),
        'peak RSS MB': `${mb(sampler.peakKb)} (+${mb(sampler.peakKb - before)})`,
        'VmHWM MB': mb(hwm),
        'peak receiving / processing MB': sampler.marked ? `${mb(sampler.peakBeforeMarkKb)} / ${mb(sampler.peakAfterMarkKb)}` : '-',
        'peak anon MB': mb(sampler.peakAnonKb),
        'after 2 s MB': mb(after),
        'heap used/total MB': heap ? `${heap.used}/${heap.total}` : '?',
        'sent s': result.sentS ? result.sentS.toFixed(2) : '-',
        'total s': result.totalS.toFixed(2),
        'ffprobe/ffmpeg peak MB': sampler.peakHelperKb ? mb(sampler.peakHelperKb) : '-',
        verified: verified + (leftovers.length ? `; LEFTOVER FILES ${leftovers.join(',')}` : ''),
      });
    };

    const verifyVideo =
      (bytes: number) =>
      async (body: Record<string, unknown>): Promise<string> => {
        const id = (body.data as { message_id?: string } | undefined)?.message_id;
        const received = await emu!.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy, 60_000);
        const got = received.media?.bytes.length;
        if (received.type !== 'video' || got !== bytes) {
          throw new Error(`emulator got ${received.type} with ${got} bytes (${received.mediaError ?? ''}), expected a ${bytes}-byte video`);
        }
        return `video ${got} B decrypted = file (passed through)`;
      };

    await measure(
      'text message',
      () => postJson(gateway!, '/api/send-message', { phone: RECIPIENT, message: 'baseline' }),
      async (body) => {
        const id = (body.data as { message_id?: string } | undefined)?.message_id;
        const received = await emu!.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy, 10_000);
        return `text "${received.text ?? ''}"`;
      },
    );
    await measure(
      '1 MB video',
      (onSent) => postFile(port, '/api/send-video', { phone: RECIPIENT, caption: 'small' }, small, 'small.mp4', 'video/mp4', onSent),
      verifyVideo(SMALL_BYTES),
    );
    for (let i = 1; i <= RUNS; i++) {
      await measure(
        `63 MB video #${i}`,
        (onSent) => postFile(port, '/api/send-video', { phone: RECIPIENT, caption: `big ${i}` }, big, 'big.mp4', 'video/mp4', onSent),
        verifyVideo(BIG_BYTES),
      );
    }
    await measure(
      '1 MB video (again)',
      (onSent) => postFile(port, '/api/send-video', { phone: RECIPIENT, caption: 'small' }, small, 'small.mp4', 'video/mp4', onSent),
      verifyVideo(SMALL_BYTES),
    );

    console.table(rows);
    console.log(
      `RSS sampled every ${SAMPLE_MS} ms from /proc/${pid}/status; "+" = peak minus RSS just before the request. VmHWM = kernel peak since ` +
        `${canResetPeak ? 'the reset before each case' : 'process start'}. anon = RssAnon (heap + Buffers); heap = V8 heap after, from GET /. receiving = until the last request byte was written (multer streaming to UPLOAD_DIR), processing = after it; "sent" = that moment; ` +
        `"total" = response complete (upload + content check + probe + thumbnail + Baileys encrypt + HTTPS upload + send). ` +
        'ffprobe/ffmpeg = largest RSS of a process the gateway spawned (not in its own RSS).',
    );
  } catch (error) {
    if (gateway) console.error(`gateway output (tail):\n${gateway.output()}`);
    throw error;
  } finally {
    await gateway?.stop();
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
