/**
 * The process logger's JSON output is written in batches (src/logger.ts): an info line may wait
 * up to LOG_FLUSH_MS, a warning is written at once with everything before it, and whatever waits
 * is written when the process exits, also on an uncaught exception. Run in a child process, as
 * production runs it (the built logger, stdout a pipe).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';

const LOGGER = path.resolve('dist/src/logger.js');

beforeAll(() => {
  if (!existsSync(LOGGER)) throw new Error(`${LOGGER} is missing: run \`npm run build\` first (npm test does)`);
});

interface Line {
  msg: string;
  at: number;
}

/** Runs `body` (with `logger` in scope) in a child; returns each line and when it arrived. */
function run(body: string): Promise<{ lines: Line[]; started: number }> {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)}); const logger = createLogger('info', false); ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const started = Date.now();
  const lines: Line[] = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) lines.push({ msg: (JSON.parse(part) as { msg: string }).msg, at: Date.now() });
  });
  return new Promise((resolve) => child.on('close', () => resolve({ lines, started })));
}

describe('process logger', () => {
  test('writes info lines within the flush period, a warning at once, and what waits at exit', async () => {
    const { lines } = await run(`
      logger.info('first');
      setTimeout(() => { logger.info('second'); logger.warn('warned'); }, 600);
      setTimeout(() => { logger.info('last'); process.exit(0); }, 900);
    `);
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second', 'warned', 'last']);
    const [first, second, warned] = lines;
    // 'first' did not wait for the warning; 'second' came out with it, in order.
    expect(warned!.at - first!.at).toBeGreaterThan(300);
    expect(warned!.at - second!.at).toBeLessThan(50);
  });

  test('an uncaught exception still gets the waiting lines out', async () => {
    const { lines } = await run(`logger.info('before the crash'); setTimeout(() => { throw new Error('boom'); }, 10);`);
    expect(lines.map((l) => l.msg)).toEqual(['before the crash']);
  });
});
