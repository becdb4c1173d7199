/**
 * The last-resort policy on a stand-in process: an unhandled rejection is logged at error and the
 * process goes on; an uncaught exception is logged as fatal and the process exits with 1.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { installLastResort } from '../../src/lifecycle/last-resort.js';

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const target = new EventEmitter();
  const exits: number[] = [];
  const uninstall = installLastResort({ logger: pino({ level: 'info' }, sink), target, exit: (code) => exits.push(code) });
  return { lines, target, exits, uninstall };
}

describe('installLastResort', () => {
  test('an unhandled rejection is logged loudly with its stack and the process keeps going', async () => {
    const { lines, target, exits } = setup();
    target.emit('unhandledRejection', new TypeError('planted'), Promise.resolve());
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: expect.stringContaining('unhandled promise rejection'),
      err: { type: 'TypeError', message: 'planted', stack: expect.any(String) },
    });
  });

  test('an uncaught exception is logged as fatal and exits with 1', async () => {
    const { lines, target, exits } = setup();
    target.emit('uncaughtException', new Error('planted'), 'uncaughtException');
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([1]);
    expect(lines[0]).toMatchObject({ level: 60, origin: 'uncaughtException', err: { message: 'planted' } });
  });

  test('uninstalling removes both listeners', () => {
    const { target, uninstall } = setup();
    expect(target.listenerCount('unhandledRejection')).toBe(1);
    uninstall();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
    expect(target.listenerCount('uncaughtException')).toBe(0);
  });
});
