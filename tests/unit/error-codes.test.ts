/** The OpenAPI document's table of error codes is held to every place a code is made. */
import { describe, expect, test } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '../../src/errors/app-error.js';
import { mediaErrors } from '../../src/media/errors.js';
import { ERROR_CODES } from '../../src/openapi/error-codes.js';

const table = ERROR_CODES as Record<string, number>;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))),
  );
  return nested.flat();
}

describe('ERROR_CODES', () => {
  test('has every error of the catalogue, with its status', () => {
    for (const [name, make] of Object.entries(Errors)) {
      const error = (make as (...args: unknown[]) => { code: string; status: number })(...Array.from({ length: make.length }, () => 'x'));
      expect(`${name}: ${error.code} ${table[error.code]}`).toBe(`${name}: ${error.code} ${error.status}`);
    }
  });

  test("has media preparation's codes, with the status the sender answers them with", () => {
    const samples = [
      mediaErrors.undecodable('audio', 'mp3'),
      mediaErrors.tooLarge('x', 1, 2),
      mediaErrors.timeout(1000),
      mediaErrors.busy(),
      mediaErrors.unavailable('ffmpeg'),
      mediaErrors.failed('x'),
    ];
    for (const e of samples) {
      const answered = e.status < 500 || e.status === 503 ? e.status : 500;
      expect(`${e.code} ${table[e.code]}`).toBe(`${e.code} ${answered}`);
    }
  });

  test('has every code made outside the catalogue (new AppError(status, CODE, …) in src/)', async () => {
    const made: string[] = [];
    for (const file of await sourceFiles(path.resolve('src'))) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/new AppError\(\s*(\d{3}),\s*'([A-Z_]+)'/g)) made.push(`${m[2]} ${m[1]}`);
    }
    expect(made.length).toBeGreaterThan(3);
    for (const entry of made) expect(`${entry.split(' ')[0]} ${table[entry.split(' ')[0]!]}`).toBe(entry);
  });
});
