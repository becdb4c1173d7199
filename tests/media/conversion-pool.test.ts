import { describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConversionPool } from '../../src/media/conversion-pool.js';
import { MediaError } from '../../src/media/errors.js';

describe('conversion pool', () => {
  test('never runs more jobs at once than its concurrency, and runs them all', async () => {
    const pool = new ConversionPool({ concurrency: 2, timeoutMs: 5000 });
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        pool.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(10 + (i % 3) * 5);
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    expect(pool.stats()).toEqual({ concurrency: 2, running: 0, queued: 0, peakRunning: 2 });
  });

  test('a failing job frees its slot', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 5000 });
    await expect(pool.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run(async () => 'next')).resolves.toBe('next');
  });

  test('the time limit aborts the job with a 504 MEDIA_TIMEOUT', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 50 });
    const attempt = pool.run(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    await expect(attempt).rejects.toBeInstanceOf(MediaError);
    await expect(attempt).rejects.toMatchObject({ status: 504, code: 'MEDIA_TIMEOUT' });
  });

  test('the time limit counts from the start of the job, not from the queue', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 80 });
    const first = pool.run(async () => sleep(60));
    const second = pool.run(async ({ signal }) => {
      await sleep(60);
      return signal.aborted;
    });
    await first;
    await expect(second).resolves.toBe(false);
  });

  test('a full queue refuses new jobs with 503 MEDIA_BUSY', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 5000, maxQueued: 1 });
    const running = pool.run(async () => sleep(30));
    const queued = pool.run(async () => sleep(1));
    await expect(pool.run(async () => 'too many')).rejects.toMatchObject({ status: 503, code: 'MEDIA_BUSY' });
    await Promise.all([running, queued]);
  });

  test('rejects a nonsensical size', () => {
    expect(() => new ConversionPool({ concurrency: 0, timeoutMs: 1000 })).toThrow(RangeError);
  });

  test('sessions take turns: a burst from one session does not make another wait behind all of it', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 5000, maxQueued: 20 });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await sleep(5);
    };
    const burst = Array.from({ length: 6 }, (_, i) => pool.run(job(`a${i}`), 'a'));
    await sleep(1); // a0 runs, a1..a5 wait
    const other = [pool.run(job('b0'), 'b'), pool.run(job('b1'), 'b')];
    await Promise.all([...burst, ...other]);
    // After the running a0: a1 (a's turn, queued first), then b0, a2, b1, a3 ... in turn.
    expect(order).toEqual(['a0', 'a1', 'b0', 'a2', 'b1', 'a3', 'a4', 'a5']);
  });

  test('while another session has work, one session holds at most half the queue', async () => {
    const pool = new ConversionPool({ concurrency: 1, timeoutMs: 5000, maxQueued: 4 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = pool.run(() => gate, 'b');
    const waiting = [pool.run(async () => 1, 'a'), pool.run(async () => 2, 'a')];
    // a holds 2 of 4 queue places while b runs: a third is refused, b may still queue.
    await expect(pool.run(async () => 3, 'a')).rejects.toMatchObject({ code: 'MEDIA_BUSY' });
    const bNext = pool.run(async () => 'b', 'b');
    release();
    await expect(Promise.all([running, ...waiting, bNext])).resolves.toEqual([undefined, 1, 2, 'b']);
    // Alone, a session may use the whole queue.
    let release2!: () => void;
    const gate2 = new Promise<void>((resolve) => (release2 = resolve));
    const first = pool.run(() => gate2, 'a');
    const four = Array.from({ length: 4 }, (_, i) => pool.run(async () => i, 'a'));
    await expect(pool.run(async () => 9, 'a')).rejects.toMatchObject({ code: 'MEDIA_BUSY' });
    release2();
    await Promise.all([first, ...four]);
  });
});
