/**
 * What the upload benchmark reads about the gateway's memory from /proc: VmRSS sampled while a
 * request runs (split at the moment its body was sent), VmHWM and its reset, and the largest
 * helper process (ffprobe, ffmpeg) it spawned.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export function procStatus(pid: number): Record<string, number> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const fields: Record<string, number> = {};
  for (const match of text.matchAll(/^(Vm\w+|Rss\w+):\s+(\d+) kB$/gm)) fields[match[1]!] = Number(match[2]);
  return fields;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where the kernel refuses. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmRSS of the gateway every `sampleMs`, and the largest RSS of any process it spawned (ffprobe/ffmpeg). */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakKb = 0;
  peakAnonKb = 0;
  peakHelperKb = 0;
  samples = 0;
  /** Peak up to mark() (the request body sent) and after it (processing and the Baileys upload). */
  peakBeforeMarkKb = 0;
  peakAfterMarkKb = 0;
  marked = false;

  constructor(
    private readonly pid: number,
    private readonly sampleMs: number,
  ) {}

  start(): void {
    this.peakKb = 0;
    this.peakAnonKb = 0;
    this.peakHelperKb = 0;
    this.samples = 0;
    this.peakBeforeMarkKb = 0;
    this.peakAfterMarkKb = 0;
    this.marked = false;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
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
