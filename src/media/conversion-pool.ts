/**
 * A bounded pool for conversions. ffmpeg saturates a core per job (x264 more), so on the 2-core
 * VPS this gateway targets two jobs at a time keep the API responsive; the rest wait in a queue
 * (bounded too, so a burst of uploads gets a quick 503 instead of piling up on disk). Each job
 * has a time limit that starts when it starts running, not while it waits.
 *
 * Sessions (several WhatsApp accounts) share the pool, so waiting jobs are queued per owner and a
 * freed slot goes to the owners in turn: one session's burst of videos cannot make another's
 * single image wait behind all of it. While others have work, one owner may hold at most half of
 * the queue.
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
  /** Waiting jobs per owner, owners in the order their turn comes (a Map keeps insertion order). */
  private readonly waiting = new Map<string, Array<() => void>>();
  private queued = 0;
  private running = 0;
  private peakRunning = 0;
  /** Running jobs per owner (to tell whether others have work). */
  private readonly runningBy = new Map<string, number>();

  constructor(options: ConversionPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.concurrency = options.concurrency;
    this.timeoutMs = options.timeoutMs;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  stats(): ConversionPoolStats {
    return { concurrency: this.concurrency, running: this.running, queued: this.queued, peakRunning: this.peakRunning };
  }

  /** Runs `job` when a slot is free; `owner` (a session name) decides whose turn a freed slot is. */
  async run<T>(job: ConversionJob<T>, owner = ''): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.queued >= this.maxQueued || this.overShare(owner)) throw mediaErrors.busy();
      // The finishing job hands its slot over without releasing it, so `running` stays counted
      // and a newcomer cannot slip in between.
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(owner);
        if (queue) queue.push(resolve);
        else this.waiting.set(owner, [resolve]);
        this.queued++;
      });
    }
    this.runningBy.set(owner, (this.runningBy.get(owner) ?? 0) + 1);
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
      const left = (this.runningBy.get(owner) ?? 1) - 1;
      if (left > 0) this.runningBy.set(owner, left);
      else this.runningBy.delete(owner);
      const next = this.nextInTurn();
      if (next) next();
      else this.running--;
    }
  }

  /** The first waiting job of the owner whose turn it is; that owner goes to the back of the line. */
  private nextInTurn(): (() => void) | undefined {
    for (const [owner, queue] of this.waiting) {
      const next = queue.shift();
      this.waiting.delete(owner);
      if (queue.length > 0) this.waiting.set(owner, queue);
      if (next) {
        this.queued--;
        return next;
      }
    }
    return undefined;
  }

  /** True when others have work and `owner` already holds half the queue. */
  private overShare(owner: string): boolean {
    const own = this.waiting.get(owner)?.length ?? 0;
    if (own < Math.ceil(this.maxQueued / 2)) return false;
    const othersWait = [...this.waiting.keys()].some((o) => o !== owner);
    const othersRun = [...this.runningBy.keys()].some((o) => o !== owner);
    return othersWait || othersRun;
  }
}
