/** A MonotonicClock that moves only when the test says so; timers fire in time order. */
import type { MonotonicClock } from '../../src/cluster/monotonic-clock.js';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

export class FakeClock implements MonotonicClock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as Timer);
  }

  /** Moves time forward, firing every timer that falls due, in order (including ones they set). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}
