/**
 * A bounded pool for conversions. ffmpeg saturates a core per job (x264 more), so on the 2-core
 * VPS this gateway targets two jobs at a time keep the API responsive; the rest wait in a queue
 * (bounded too, so a burst of uploads gets a quick 503 instead of piling up on disk). Each job
 * has a time limit that starts when it starts running, not while it waits.
 */
import { mediaErrors } from './errors.js';

export interface JobContext {
  signal: AbortSignal;
  /** Milliseconds left before the job's time limit. */
  remainingMs(): number;
}

export type ConversionJob<T> = (context: JobContext) => Promise<T>;

export interface ConversionPoolOptions {
  concurrency: number;
  timeoutMs: number;
  /** Jobs allowed to wait; more are refused with MEDIA_BUSY. */
  maxQueued?: number;
}

export interface ConversionPoolStats {
  concurrency: number;
  running: number;
  queued: number;
  /** Most jobs ever running at once; lets tests and /api/status see the bound hold. */
  peakRunning: number;
}

export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_QUEUED = 100;

export class ConversionPool {
  readonly concurrency: number;
  readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private peakRunning = 0;

  constructor(options: ConversionPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.concurrency = options.concurrency;
    this.timeoutMs = options.timeoutMs;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  stats(): ConversionPoolStats {
    return { concurrency: this.concurrency, running: this.running, queued: this.waiting.length, peakRunning: this.peakRunning };
  }

  async run<T>(job: ConversionJob<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.maxQueued) throw mediaErrors.busy();
      // The finishing job hands its slot over without releasing it, so `running` stays counted
      // and a newcomer cannot slip in between.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.peakRunning = Math.max(this.peakRunning, this.running);
    const controller = new AbortController();
    const startedAt = Date.now();
    const timer = setTimeout(() => controller.abort(mediaErrors.timeout(this.timeoutMs)), this.timeoutMs);
    try {
      return await job({
        signal: controller.signal,
        remainingMs: () => Math.max(0, this.timeoutMs - (Date.now() - startedAt)),
      });
    } finally {
      clearTimeout(timer);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
