/**
 * Conversion cost on this machine: wall time and peak memory for a 60 s mp3 voice note and a
 * 30 s 720p mkv, the two uploads the issue sizes the VPS for. ffmpeg runs as a child process, so
 * its memory is not in our own RSS: /proc/<pid>/status VmHWM (the child's peak resident set) is
 * polled for every child while a conversion runs.
 *
 *   npm run bench:media            (builds, then runs dist/bench/media-conversion.js)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMediaPreparer, type MediaPreparer, type PrepareInput } from '../src/media/index.js';
import { makeClip720p, makeSpeechMp3 } from './ffmpeg.js';
import { mb } from './ceiling/report.js';

/** Peak memory of our child processes (kB), sampled every 10 ms from /proc. */
class ChildMemoryWatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly peakByPid = new Map<number, { name: string; hwmKb: number }>();
  peakConcurrentKb = 0;
  peakSelfRssKb = 0;

  start(): void {
    this.timer = setInterval(() => this.sample(), 10);
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** The largest single child (normally the ffmpeg doing the encode). */
  get peakChild(): { name: string; hwmKb: number } {
    let best = { name: '-', hwmKb: 0 };
    for (const entry of this.peakByPid.values()) if (entry.hwmKb > best.hwmKb) best = entry;
    return best;
  }

  get processes(): number {
    return this.peakByPid.size;
  }

  private sample(): void {
    let concurrent = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const status = readFileSync(`/proc/${entry}/status`, 'utf8');
        if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== process.pid) continue;
        const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
        const pid = Number(entry);
        this.peakByPid.set(pid, { name, hwmKb: Math.max(hwm, this.peakByPid.get(pid)?.hwmKb ?? 0) });
        concurrent += rss;
      } catch {
        // exited between readdir and read
      }
    }
    this.peakConcurrentKb = Math.max(this.peakConcurrentKb, concurrent);
    this.peakSelfRssKb = Math.max(this.peakSelfRssKb, Math.round(process.memoryUsage().rss / 1024));
  }
}

interface Row {
  case: string;
  'wall s': string;
  'ffmpeg peak MB': string;
  'children at once MB': string;
  'node rss MB': string;
  processes: number;
  'in → out': string;
}

const size = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)}MB` : `${Math.round(bytes / 1024)}KB`);

async function measure(label: string, preparer: MediaPreparer, inputs: PrepareInput[]): Promise<Row> {
  const watcher = new ChildMemoryWatcher();
  watcher.start();
  const started = process.hrtime.bigint();
  const prepared = await Promise.all(inputs.map((input) => preparer.prepare(input)));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  watcher.stop();
  const io = prepared
    .map(
      (p, i) =>
        `${size(statSync(inputs[i]!.path).size)} → ${size(statSync(p.media.path).size)} ${p.media.mimetype.split(';')[0]}${p.media.seconds ? ` ${p.media.seconds}s` : ''}`,
    )
    .join('; ');
  await Promise.all(prepared.map((p) => p.cleanup()));
  return {
    case: label,
    'wall s': wall.toFixed(2),
    'ffmpeg peak MB': `${mb(watcher.peakChild.hwmKb)} (${watcher.peakChild.name})`,
    'children at once MB': mb(watcher.peakConcurrentKb),
    'node rss MB': mb(watcher.peakSelfRssKb),
    processes: watcher.processes,
    'in → out': io,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-media-bench-'));
  const tempDir = join(dir, 'tmp');
  try {
    console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); generating inputs in ${dir} ...`);
    const mp3 = join(dir, 'speech-60s.mp3');
    const mkvHigh = join(dir, 'clip-720p-30s-high.mkv');
    const mkvBaseline = join(dir, 'clip-720p-30s-baseline.mkv');
    await Promise.all([makeSpeechMp3(mp3), makeClip720p(mkvHigh, 'high'), makeClip720p(mkvBaseline, 'baseline')]);

    const concurrency = Number(process.env.MEDIA_CONVERSION_CONCURRENCY ?? 2);
    const preparer = createMediaPreparer({ tempDir, concurrency, timeoutMs: 600_000 });
    if (!preparer.capabilities().conversion) throw new Error('conversion unavailable: ffmpeg/ffprobe/sharp missing');
    const voice: PrepareInput = { kind: 'audio', path: mp3, originalName: 'speech.mp3' };
    const video: PrepareInput = { kind: 'video', path: mkvHigh, originalName: 'clip.mkv' };
    const remux: PrepareInput = { kind: 'video', path: mkvBaseline, originalName: 'clip.mkv' };

    const rows: Row[] = [];
    rows.push(await measure('60 s mp3 → voice note', preparer, [voice]));
    rows.push(await measure('30 s 720p mkv (High) → mp4', preparer, [video]));
    rows.push(await measure('30 s 720p mkv (Baseline) → mp4 remux', preparer, [remux]));
    rows.push(await measure(`both at once (pool of ${concurrency})`, preparer, [voice, video]));
    console.table(rows);
    console.log('ffmpeg peak = largest VmHWM of one child process; children at once = summed VmRSS of concurrent children.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
