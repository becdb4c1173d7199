import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { routeLibsignalConsole } from '../../src/whatsapp/baileys/libsignal-console.js';

describe('routeLibsignalConsole', () => {
  test("keeps libsignal's session dumps (key material) and decryption failures off the console and lets other lines through", () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const logged: string[] = [];
    const original = { info: console.info, error: console.error };
    console.info = (...args: unknown[]) => void seen.push(String(args[0]));
    console.error = (...args: unknown[]) => void errors.push(String(args[0]));
    try {
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) });
      routeLibsignalConsole(logger);
      console.info('Closing session:', { rootKey: Buffer.from('secret') });
      console.info('an unrelated line');
      // What session_cipher.js prints for every message it cannot decrypt (a flood of forgeries).
      console.error('Failed to decrypt message with any known session...');
      console.error('Session error:Error: Bad MAC', 'Error: Bad MAC\n    at …');
      console.error('an unrelated error');
    } finally {
      console.info = original.info;
      console.error = original.error;
    }
    expect(seen).toEqual(['an unrelated line']);
    expect(errors).toEqual(['an unrelated error']);
    expect(logged.join('')).toContain('Closing session');
    expect(logged.join('')).toContain('Bad MAC');
    expect(logged.join('')).not.toContain('secret');
  });
});
