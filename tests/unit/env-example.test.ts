import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'dotenv';
import { CONFIG_KEYS, loadConfig } from '../../src/config/config.js';

describe('.env.example', () => {
  test('documents every key the gateway reads, and only those', async () => {
    const documented = Object.keys(parse(await readFile(new URL('../../.env.example', import.meta.url))));
    expect([...documented].sort()).toEqual([...CONFIG_KEYS].sort());
  });

  test('its values are the defaults', async () => {
    const example = parse(await readFile(new URL('../../.env.example', import.meta.url)));
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });
});
