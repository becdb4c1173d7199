/**
 * Issue 8, item 2: the hostile suite. fast-check generates requests to every send endpoint —
 * multipart bodies with parts in any order, duplicated and extra parts, file parts in the wrong
 * fields, oversize parts and captions, wrong boundaries, bare-LF bodies; JSON and form bodies
 * with wrong types and odd encodings; chunked and lying framing; bodies cut short or connections
 * dropped at random offsets over a raw socket; for the kinds without a file (location, contact,
 * reaction, poll) also their own fields of every wrong type, out of range or too many
 * (support/kind-specs.ts) — and holds every answer to the oracle in
 * support/hostile-target.ts (JSON contract error or success, no 5xx but 503, nothing left on disk,
 * still serving).
 *
 * Seeded and bounded for `npm test` (HOSTILE_RUNS per endpoint, default 25; HOSTILE_SEED).
 * `npm run bench:hostile` runs it longer (400 per endpoint, a new seed each time, statuses and
 * codes printed). A failure prints the seed and the request; HOSTILE_SHRINK=1 shrinks it first.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startHostileTarget, type HostileTarget } from './support/hostile-target.js';
import { requestSpec, SEND_ENDPOINTS } from './support/request-specs.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 25);
const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_208);

let target: HostileTarget;
/** Every status seen, over all endpoints: the generators must reach past the first checks. */
const seen = new Map<number | 'none', number>();
beforeAll(async () => {
  target = await startHostileTarget();
});
afterAll(() => target?.close());

describe('no request can break a send endpoint', () => {
  test.each(SEND_ENDPOINTS.map((endpoint, index) => [endpoint, index] as const))(
    '%s',
    async (endpoint, index) => {
      const statuses = new Map<number | 'none', number>();
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(requestSpec(endpoint), async (spec) => {
          const response = await target.exercise(spec);
          const status = response?.status ?? 'none';
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          seen.set(status, (seen.get(status) ?? 0) + 1);
          if (response && response.status >= 400) {
            const code = (JSON.parse(response.body) as { code: string }).code;
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        }),
        { seed: SEED + index, numRuns: RUNS, endOnFailure: process.env.HOSTILE_SHRINK === undefined },
      );
      if (process.env.HOSTILE_VERBOSE) console.log(endpoint, Object.fromEntries(statuses), Object.fromEntries(codes));
    },
    Math.max(60_000, RUNS * 2_000),
  );

  test('the generated requests were both accepted and refused', () => {
    const statuses = [...seen.keys()];
    expect(statuses.some((s) => s === 200 || s === 202)).toBe(true);
    expect(statuses.some((s) => typeof s === 'number' && s >= 400 && s < 500)).toBe(true);
  });
});
