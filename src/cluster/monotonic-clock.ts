/**
 * The local clock a node uses to judge its OWN lease deadlines. It must be monotonic: a wall clock
 * stepped back by NTP would let a node believe it still holds a lease the database already expired.
 * Injectable so tests drive time by hand.
 */
import { performance } from 'node:perf_hooks';

export interface MonotonicClock {
  /** Milliseconds from an arbitrary origin; never goes back. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const monotonicClock: MonotonicClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
