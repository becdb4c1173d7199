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
}

/**
 * Runs `body` (with `logger` in scope) in a child; returns each line and the child's own writes to
 * stdout, as the logger made them (fs.write/writeSync on fd 1, recorded in the child, so a busy
 * test process reading the pipe late cannot blur which lines went out together).
 */
function run(body: string): Promise<{ lines: Line[]; writes: string[] }> {
  const script = `
    const fs = (await import('node:fs')).default;
    const writes = [];
    for (const name of ['write', 'writeSync']) {
      const original = fs[name];
      fs[name] = function (fd, data, ...rest) {
        if (fd === 1) writes.push(String(data));
        return original.call(this, fd, data, ...rest);
      };
    }
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const logger = createLogger('info', false);
    // Registered after the logger's own exit flush, so its last write is recorded too.
    process.on('exit', () => process.stderr.write('\\nWRITES:' + JSON.stringify(writes) + '\\n'));
    ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let rest = '';
  let errors = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) lines.push({ msg: (JSON.parse(part) as { msg: string }).msg });
  });
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  return new Promise((resolve) =>
    child.on('close', () => {
      // Node's report of an uncaught exception shares stderr; the recorded writes are marked.
      const recorded = /\nWRITES:(.*)\n/.exec(errors)?.[1];
      resolve({ lines, writes: recorded === undefined ? [] : (JSON.parse(recorded) as string[]) });
    }),
  );
}

/** The write (by index) that carried a line. */
const writeOf = (writes: string[], msg: string) => writes.findIndex((w) => w.includes(`"msg":"${msg}"`));

describe('process logger', () => {
  test('writes info lines within the flush period, a warning at once, and what waits at exit', async () => {
    const { lines, writes } = await run(`
      logger.info('first');
      setTimeout(() => { logger.info('second'); logger.warn('warned'); }, 600);
      setTimeout(() => { logger.info('last'); process.exit(0); }, 900);
    `);
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second', 'warned', 'last']);
    // 'first' went out on its own within the flush period, not held until the warning;
    // 'second' came out with the warning, in the same write; 'last' was written at exit.
    expect(writeOf(writes, 'first')).toBeGreaterThanOrEqual(0);
    expect(writeOf(writes, 'first')).toBeLessThan(writeOf(writes, 'warned'));
    expect(writeOf(writes, 'second')).toBe(writeOf(writes, 'warned'));
    expect(writeOf(writes, 'last')).toBeGreaterThan(writeOf(writes, 'warned'));
  });

  test('an uncaught exception still gets the waiting lines out', async () => {
    const { lines } = await run(`logger.info('before the crash'); setTimeout(() => { throw new Error('boom'); }, 10);`);
    expect(lines.map((l) => l.msg)).toEqual(['before the crash']);
  });

  test('a burst of info lines goes out whole and in order, in writes of about 16 KB', async () => {
    const { lines, writes } = await run(`
      for (let i = 0; i < 1000; i++) logger.info('line ' + i);
      setTimeout(() => { logger.info('after'); process.exit(0); }, 400);
    `);
    expect(lines.map((l) => l.msg)).toEqual([...Array.from({ length: 1000 }, (_, i) => `line ${i}`), 'after']);
    expect(writes.length).toBeLessThan(20);
    expect(writes.join('').split('\n').filter(Boolean)).toHaveLength(1001);
  });
});
