import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { routeLibsignalConsole } from '../../src/whatsapp/baileys/libsignal-console.js';

describe('routeLibsignalConsole', () => {
  test("keeps libsignal's session dumps (key material) off stdout and lets other lines through", () => {
    const seen: string[] = [];
    const logged: string[] = [];
    const original = console.info;
    console.info = (...args: unknown[]) => void seen.push(String(args[0]));
    try {
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) });
      routeLibsignalConsole(logger);
      console.info('Closing session:', { rootKey: Buffer.from('secret') });
      console.info('an unrelated line');
    } finally {
      console.info = original;
    }
    expect(seen).toEqual(['an unrelated line']);
    expect(logged.join('')).toContain('Closing session');
    expect(logged.join('')).not.toContain('secret');
  });
});
