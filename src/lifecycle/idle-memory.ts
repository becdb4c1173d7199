/**
 * Gives back, once the gateway is idle, the memory a busy spell made V8 keep. Start-up (route
 * tables, pairing, the first app-state sync) and any burst of requests or messages grow V8's young
 * generation to its largest size, about 32 MB resident, and V8 shrinks it only in a collection that
 * happens while allocation is slow: in an idle gateway none comes, so the memory stays taken for
 * hours. Full collections in the quiet intervals after a busy spell let V8 shrink it (idle RSS of
 * a linked gateway about 30 MB lower, measured by `npm run bench:ceiling`). Usually two are
 * needed, because V8 judges the allocation rate since the previous collection: the first still
 * sees the busy spell's rate and keeps the space, the next sees a quiet interval and gives it back.
 * So once the loop has been quiet for two whole intervals, each further quiet interval collects
 * while the young generation is still grown, at most four times a spell and at most four times in
 * any minute: the cost is bounded to a few collections of tens of milliseconds a minute, none under
 * load. The bound is on collections, not on spells: a spell usually needs one or two, so the spell
 * after the next busy one (the gateway waits for its QR to be scanned, then pairs and syncs) still
 * runs at once instead of a minute later, with the memory held all that time; only traffic in
 * bursts a few seconds apart, which grows the space again each time, finds the minute's budget spent.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
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
  /** Bytes V8 holds for the young generation now; V8's heap statistics by default. */
  youngGenerationBytes?: () => number;
  /** The window in which at most COLLECTIONS_PER_WINDOW collections run. */
  windowMs?: number;
}

export const IDLE_CHECK_MS = 2000;
/**
 * A linked gateway with nothing to do still answers WhatsApp's pings and receipts: 0.5-4 % of an
 * interval on a shared machine. 5 % keeps that idle; a loop busier than this is serving traffic.
 */
export const IDLE_BELOW = 0.05;
/** Whole quiet intervals in a row before the first collection of a spell. */
const QUIET_INTERVALS_FIRST = 2;
/** At most this many collections per quiet spell, should V8 keep the space anyway. */
const COLLECTIONS_PER_QUIET_SPELL = 4;
/** At most this many collections in any window of WINDOW_MS, however many spells share it. */
const COLLECTIONS_PER_WINDOW = 4;
export const WINDOW_MS = 60_000;
/** V8 shrinks the young generation to 1 MB; above this it is still grown. */
export const YOUNG_GENERATION_SHRUNK = 4 * 1024 * 1024;

/** Starts watching; returns the way to stop. The timer never keeps the process alive. */
export function trimMemoryWhenIdle(options: IdleTrimOptions): () => void {
  const { logger, intervalMs = IDLE_CHECK_MS, idleBelow = IDLE_BELOW, windowMs = WINDOW_MS } = options;
  const collect = options.collect ?? fullCollection();
  const busyShare = options.busyShare ?? eventLoopBusyShare();
  const youngGenerationBytes = options.youngGenerationBytes ?? youngGenerationSize;
  // Start-up counts as busy.
  let quietIntervals = 0;
  let collectedThisSpell = 0;
  /** When the collections of the current window ran, oldest first. */
  let recent: number[] = [];
  const timer = setInterval(() => {
    if (busyShare() >= idleBelow) {
      quietIntervals = 0;
      collectedThisSpell = 0;
      return;
    }
    quietIntervals++;
    if (quietIntervals < QUIET_INTERVALS_FIRST || collectedThisSpell >= COLLECTIONS_PER_QUIET_SPELL) return;
    const young = youngGenerationBytes();
    if (young <= YOUNG_GENERATION_SHRUNK) return;
    const now = performance.now();
    recent = recent.filter((at) => now - at < windowMs);
    if (recent.length >= COLLECTIONS_PER_WINDOW) return;
    collectedThisSpell++;
    recent.push(now);
    logger.debug({ rssMb: mb(process.memoryUsage.rss()), youngMb: mb(young), collection: collectedThisSpell }, 'idle: full collection');
    collect();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function youngGenerationSize(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics())
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') bytes += space.space_size;
  return bytes;
}

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
