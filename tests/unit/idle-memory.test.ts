/**
 * The idle trim: full collections in the first two quiet intervals after a busy spell (start-up
 * counts as busy), none while the loop is busy or stays quiet after them; and V8's own collector can be had without --expose-gc.
 */
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { fullCollection, trimMemoryWhenIdle } from '../../src/lifecycle/idle-memory.js';
import { until } from '../support/until.js';

/** Runs the trimmer over a script of busy shares, one per interval; returns after which readings it collected. */
async function collectionsOver(shares: number[]): Promise<number[]> {
  const collectedAfter: number[] = [];
  let read = 0;
  const stop = trimMemoryWhenIdle({
    logger: pino({ level: 'silent' }),
    intervalMs: 5,
    idleBelow: 0.02,
    busyShare: () => shares[Math.min(read++, shares.length - 1)]!,
    collect: () => collectedAfter.push(read),
  });
  try {
    await until(() => read > shares.length);
  } finally {
    stop();
  }
  // The readings past the script repeat its last one; only the script's own count.
  return collectedAfter.filter((r) => r <= shares.length);
}

describe('trimMemoryWhenIdle', () => {
  test('collects in the first two quiet intervals after start-up, not again while it stays quiet', async () => {
    expect(await collectionsOver([0.5, 0.01, 0.0, 0.01, 0.0])).toEqual([2, 3]);
  });

  test('a busy spell arms it again: the next quiet intervals collect once more', async () => {
    expect(await collectionsOver([0.01, 0.3, 0.9, 0.001, 0.05, 0.01, 0.0, 0.01])).toEqual([1, 4, 6, 7]);
  });

  test('never collects while the loop stays busy', async () => {
    expect(await collectionsOver([0.2, 0.02, 0.5, 0.03])).toEqual([]);
  });
});

describe('fullCollection', () => {
  test("is V8's collector, usable without --expose-gc, and leaves the global scope as it was", () => {
    const hadGc = 'gc' in globalThis;
    const collect = fullCollection();
    expect(typeof collect).toBe('function');
    expect(() => collect()).not.toThrow();
    expect('gc' in globalThis).toBe(hadGc);
  });
});
