/**
 * Gives back, once the gateway is idle, the memory a busy spell made V8 keep. Start-up (route
 * tables, pairing, the first app-state sync) and any burst of requests or messages grow V8's young
 * generation to its largest size, about 32 MB resident, and V8 shrinks it only in a collection that
 * happens while allocation is slow: in an idle gateway none comes, so the memory stays taken for
 * hours. Full collections in the first quiet intervals after a busy spell let V8 shrink it (idle
 * RSS of a linked gateway about 30 MB lower, measured by `npm run bench:ceiling`). Two, because V8
 * judges the allocation rate since the previous collection: the first still sees the busy spell's
 * rate and keeps the space, the second sees a quiet interval and gives it back. They run once per
 * quiet spell, never under load, and cost tens of milliseconds of an otherwise idle loop.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

export interface IdleTrimOptions {
  logger: Logger;
  /** How often the event loop's busy share is read. */
  intervalMs?: number;
  /** Below this busy share over a whole interval the gateway counts as idle. */
  idleBelow?: number;
  /** A full collection; V8's own by default. */
  collect?: () => void;
  /** The event loop's busy share since the previous call (0..1); perf_hooks' by default. */
  busyShare?: () => number;
}

export const IDLE_CHECK_MS = 3000;
/**
 * A linked gateway with nothing to do still answers WhatsApp's pings and receipts: 0.5-4 % of an
 * interval on a shared machine. 5 % keeps that idle; a loop busier than this is serving traffic.
 */
export const IDLE_BELOW = 0.05;
const COLLECTIONS_PER_QUIET_SPELL = 2;

/** Starts watching; returns the way to stop. The timer never keeps the process alive. */
export function trimMemoryWhenIdle(options: IdleTrimOptions): () => void {
  const { logger, intervalMs = IDLE_CHECK_MS, idleBelow = IDLE_BELOW } = options;
  const collect = options.collect ?? fullCollection();
  const busyShare = options.busyShare ?? eventLoopBusyShare();
  // Start-up counts as busy: the first quiet intervals after it collect.
  let collectedSinceBusy = 0;
  const timer = setInterval(() => {
    if (busyShare() >= idleBelow) {
      collectedSinceBusy = 0;
      return;
    }
    if (collectedSinceBusy >= COLLECTIONS_PER_QUIET_SPELL) return;
    collectedSinceBusy++;
    // V8 hands the pages back after the collection returns: RSS read here would not show it yet.
    logger.debug({ rssMb: mb(process.memoryUsage.rss()), collection: collectedSinceBusy }, 'idle: full collection');
    collect();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function eventLoopBusyShare(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}

/**
 * V8's gc(), which Node exposes only with --expose-gc: the flag, set now, applies to contexts
 * created after it, so a new context hands the function over. The process's own global gets no
 * `gc`, and the operator's command line (Dockerfile, systemd unit, npm start) stays as it is.
 */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
