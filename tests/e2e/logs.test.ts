/**
 * What an operator reads in the journal during a normal life: start, pair, send. Every line is
 * one JSON object without repeated keys (log shippers keep only one of them, or reject the line),
 * the start-up line names the address the socket really bound, and the 515 restart that follows
 * every pairing is logged as the expected event it is, not as an error.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { E2EHarness } from './support/harness.js';

/** The keys that occur more than once in one JSON object of `text` (JSON.parse keeps the last silently). */
function duplicateKeys(text: string): string[] {
  const duplicates: string[] = [];
  const open: { keys?: Set<string> }[] = []; // keys is set for objects, not for arrays
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      open.push(c === '{' ? { keys: new Set() } : {});
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      open.pop();
      expectKey = false;
    } else if (c === ',') expectKey = open[open.length - 1]?.keys !== undefined;
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1]?.keys;
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) duplicates.push(key);
        keys.add(key);
      }
      expectKey = false;
      i = end;
    }
  }
  return duplicates;
}

interface LogLine {
  level: number;
  msg: string;
  module?: string;
  address?: string;
  [key: string]: unknown;
}

describe('log lines of a gateway that starts, pairs and sends', () => {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line.length > 0),
      );
      done();
    },
  });
  const lines = () => raw.map((line) => JSON.parse(line) as LogLine);
  let h: E2EHarness;

  beforeAll(async () => {
    // The production defaults: LOG_LEVEL=info, BAILEYS_LOG_LEVEL=warn.
    h = await E2EHarness.startLinked({ logger: pino({ level: 'info' }, sink), env: { LOG_LEVEL: 'info', BAILEYS_LOG_LEVEL: 'warn' } });
    await h.expectSendWorks('15551234567', 'hello journal');
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('the duplicate-key check itself finds a repeated key and ignores arrays and strings', () => {
    expect(duplicateKeys('{"module":"store","module":"store","a":1}')).toEqual(['module']);
    expect(duplicateKeys('{"a":{"b":1},"c":{"b":2},"d":["a","a",{"a":1}],"e":"a\\",\\"e\\":"}')).toEqual([]);
    expect(duplicateKeys('{"d":[{"x":1,"x":2}]}')).toEqual(['x']);
  });

  test('no line repeats a key', () => {
    expect(raw.length).toBeGreaterThan(5);
    const offenders = raw.filter((line) => duplicateKeys(line).length > 0);
    expect(offenders).toEqual([]);
  });

  test('the start-up line names the address the server really bound', () => {
    const { address, port } = h.gateway.server.address() as AddressInfo;
    expect(port).toBeGreaterThan(0); // the configured port is 0: only the bound one is worth logging
    const startup = lines().find((line) => line.msg.startsWith('WhatsApp gateway listening'));
    expect(startup).toMatchObject({ level: 30, address: `${address}:${port}`, msg: `WhatsApp gateway listening on ${address}:${port}` });
  });

  test('the 515 restart after pairing is logged at info, and a normal day logs no error', () => {
    // Match the close code itself, not any line whose timestamp or id happens to contain "515".
    const restart = lines().filter((line) => /\b515\b/.test(`${line.msg} ${String(line.reason ?? '')}`) || line.code === 515);
    expect(restart.length).toBeGreaterThan(0);
    for (const line of restart) expect(line.level).toBeLessThanOrEqual(30);
    expect(lines().filter((line) => line.level >= 50)).toEqual([]);
    expect(lines().some((line) => line.module === 'connection' && line.msg === 'WhatsApp connection open')).toBe(true);
  });
});
