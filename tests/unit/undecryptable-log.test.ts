import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { UndecryptableLog } from '../../src/whatsapp/baileys/undecryptable-log.js';

describe('UndecryptableLog', () => {
  test('logs the first failure at once, then one line per 10 s with the count since the last', () => {
    const lines: Array<{ count: number; lastId: string; reason: string }> = [];
    let now = 1_000_000;
    const log = new UndecryptableLog(
      pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) }),
      () => now,
    );
    const failure = (id: string) => ({ id, from: '6281234567890@s.whatsapp.net', reason: 'Bad MAC' });

    log.record(failure('A'));
    for (let i = 0; i < 500; i++) {
      now += 10; // a flood: 500 in 5 s
      log.record(failure(`B${i}`));
    }
    expect(lines.map((l) => [l.count, l.lastId])).toEqual([[1, 'A']]);
    now += 5_000;
    log.record(failure('C'));
    expect(lines.map((l) => [l.count, l.lastId])).toEqual([
      [1, 'A'],
      [501, 'C'],
    ]);
    expect(lines[1]!.reason).toBe('Bad MAC');
  });
});
