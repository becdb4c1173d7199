import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createBaileysLogger } from '../../src/whatsapp/baileys/baileys-logger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('the logger handed to Baileys', () => {
  test("a child's lines carry its bindings; lines below the level are dropped", async () => {
    const { logger, lines } = capture('info');
    const child = createBaileysLogger(logger).child({ msgId: 'ABC' });
    child.debug({ detail: 1 }, 'not shown');
    child.info({ detail: 2 }, 'shown');
    child.warn('a plain string');
    await flush();
    expect(lines.map((l) => [l.msg, l.msgId, l.detail])).toEqual([
      ['shown', 'ABC', 2],
      ['a plain string', 'ABC', undefined],
    ]);
  });

  test('a child reports and takes its level like a pino child', async () => {
    const { logger, lines } = capture('warn');
    const child = createBaileysLogger(logger).child({ msgId: 'DEF' });
    expect(child.level).toBe('warn');
    child.level = 'debug';
    child.debug({}, 'now shown');
    await flush();
    expect(lines.map((l) => [l.msg, l.msgId])).toEqual([['now shown', 'DEF']]);
    expect(logger.level).toBe('warn');
  });

  test('the 515 after pairing is logged at info, other errors as errors', async () => {
    const { logger, lines } = capture('info');
    const baileys = createBaileysLogger(logger);
    baileys.error({ fullErrorNode: { tag: 'stream:error', attrs: { code: '515' } } }, 'stream errored out');
    baileys.child({ class: 'x' }).error({ other: true }, 'real error');
    await flush();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'WhatsApp restarts the stream after pairing (515), as expected; reconnecting'],
      [50, 'real error'],
    ]);
  });
});
