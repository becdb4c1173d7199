/**
 * The idle trim: after two whole quiet intervals following a busy spell (start-up counts as busy),
 * full collections while the young generation is still grown, a bounded number of them per spell
 * and per minute, none while the loop is busy; and V8's own collector can be had without --expose-gc.
 */
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { fullCollection, trimMemoryWhenIdle } from '../../src/lifecycle/idle-memory.js';
import { until } from '../support/until.js';

const MB = 1024 * 1024;

/**
 * Runs the trimmer over a script of intervals (the loop's busy share, and the young generation's
 * size unless a collection shrank it); returns after which readings it collected.
 */
async function collectionsOver(shares: number[], shrinksAfter = 2, windowMs = 0): Promise<number[]> {
  const collectedAfter: number[] = [];
  let read = 0;
  // V8 keeps the grown space until the `shrinksAfter`-th collection of a quiet spell; a busy spell grows it again.
  let young = 32 * MB;
  let sinceBusy = 0;
  const stop = trimMemoryWhenIdle({
    logger: pino({ level: 'silent' }),
    intervalMs: 5,
    idleBelow: 0.05,
    windowMs,
    busyShare: () => {
      const share = shares[Math.min(read++, shares.length - 1)]!;
      if (share >= 0.05) [young, sinceBusy] = [32 * MB, 0];
      return share;
    },
    youngGenerationBytes: () => young,
    collect: () => {
      collectedAfter.push(read);
      if (++sinceBusy >= shrinksAfter) young = 1 * MB;
    },
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
  test('collects from the second quiet interval after start-up until the young generation has shrunk', async () => {
    expect(await collectionsOver([0.5, 0.01, 0.0, 0.01, 0.0, 0.01])).toEqual([3, 4]);
  });

  test('a busy spell grows it and arms the trim again; one quiet interval between bursts is not enough', async () => {
    expect(await collectionsOver([0.01, 0.01, 0.01, 0.3, 0.9, 0.001, 0.2, 0.04, 0.01, 0.0, 0.01])).toEqual([2, 3, 9, 10]);
  });

  test('the spell after a busy one (pairing after start-up) runs at once while the minute has collections left', async () => {
    expect(await collectionsOver([0.01, 0.01, 0.01, 0.3, 0.01, 0.01, 0.01], 2, 60_000)).toEqual([2, 3, 6, 7]);
  });

  test('bursts a few seconds apart find the minute of four collections spent', async () => {
    const burstsApart = [0.01, 0.01, 0.01, 0.3, 0.01, 0.01, 0.01, 0.3, 0.01, 0.01, 0.01];
    expect(await collectionsOver(burstsApart, 2, 60_000)).toEqual([2, 3, 6, 7]);
  });

  test('gives up after four collections in one quiet spell when V8 keeps the space', async () => {
    expect(await collectionsOver([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01], Infinity)).toEqual([2, 3, 4, 5]);
  });

  test('never collects while the loop stays busy', async () => {
    expect(await collectionsOver([0.2, 0.05, 0.5, 0.07, 0.3])).toEqual([]);
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
