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
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { linkGateway, startGatewayChild, type GatewayChild } from './ceiling/contenders.js';
import { sleep } from './ceiling/process-stats.js';
import { makePaddedMp4 } from './upload/padded-mp4.js';
import { procStatus, resetPeak, RssSampler } from './upload/rss-sampler.js';
import { postFile, postJson, type Timed } from './upload/timed-requests.js';
import { mb, runMain } from './ceiling/report.js';

const RECIPIENT = '6281234567890';
const MiB = 1024 * 1024;
const BIG_BYTES = 63 * MiB;
const SMALL_BYTES = 1 * MiB;
const RUNS = 3;
const SAMPLE_MS = 20;

/** Every file below `dir` (the gateway keeps empty working folders such as .converting). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => entry.name);
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

    const sampler = new RssSampler(pid, SAMPLE_MS);
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

runMain(main);
