/**
 * Outage recovery, measured: WhatsApp (the emulator) is unreachable for "60 s" and for "5 min", and
 * the linked gateway must be back within 30 s of its return, however long it was gone. The
 * reconnect policy is the production one (the defaults of loadConfig, the same ConnectionManager and
 * decideOnClose, Math.random jitter) on a clock 30 times faster: every delay the policy uses and
 * every duration here is scaled by CLOCK. The login itself (noise handshake, keys, queries) is real
 * work that a faster clock cannot shrink, so it is measured and bounded separately.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config/config.js';
import type { ConnectionStatus } from '../../src/whatsapp/transport.js';
import { E2EHarness, sleep, waitFor, type StatusBody } from './support/harness.js';

const CLOCK = 1 / 30;
const scaled = (productionMs: number) => Math.round(productionMs * CLOCK);
const production = loadConfig({}).reconnect;
/** The promise: back within 30 s of WhatsApp's return. */
const RECOVERY_BOUND_MS = 30_000;
/** Wall-clock time the real login may take once the attempt has started (not scaled). */
const LOGIN_ALLOWANCE_MS = 10_000;
/** A timer may fire late on a loaded machine, never early; ISO timestamps are whole milliseconds. */
const EARLY_TOLERANCE_MS = 2;
const RECIPIENT = '6281234567890';

interface Timed<T> {
  at: number;
  value: T;
}

/** A GET /api/status answer and the moments its request left and its answer came back. */
interface Sample {
  before: number;
  after: number;
  value: StatusBody;
}

describe('outage recovery with the production reconnect policy (clock ×30)', () => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await E2EHarness.startLinked({
      env: {
        MAX_RECONNECT_ATTEMPTS: String(production.maxAttempts),
        RECONNECT_BASE_DELAY_MS: String(scaled(production.baseDelayMs)),
        RECONNECT_MAX_DELAY_MS: String(scaled(production.maxDelayMs)),
      },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  test.each([
    ['60 s', 60_000],
    ['5 min', 5 * 60_000],
  ])(
    'WhatsApp away for %s: /api/status shows the real next attempt, and the gateway is back within 30 s of its return',
    async (_label, outageMs) => {
      const events: Timed<ConnectionStatus>[] = [];
      const record = (status: ConnectionStatus) => events.push({ at: Date.now(), value: status });
      h.gateway.transport.events.on('connection', record);
      try {
        await h.emu.goAway();
        const wentAway = Date.now();
        const samples: Sample[] = [];
        while (Date.now() - wentAway < scaled(outageMs)) {
          const before = Date.now();
          const value = await h.status();
          samples.push({ before, after: Date.now(), value });
          await sleep(25);
        }
        const lastBeforeReturn = await h.status();
        await h.emu.comeBack();
        const cameBack = Date.now();
        const opened = await waitFor(
          () => events.find((e) => e.at >= cameBack && e.value.connected),
          scaled(RECOVERY_BOUND_MS) + LOGIN_ALLOWANCE_MS,
          'the connection open again',
        );

        // During the outage: every next_retry_at /api/status showed is when the next attempt really
        // started, and the attempt count it showed is the number of attempts that had failed. (A
        // sample during which the state changed cannot be placed exactly, so it is left out.)
        const waiting = samples.filter((s) => s.value.connection.state === 'waiting_to_retry' && !events.some((e) => e.at >= s.before && e.at <= s.after));
        expect(waiting.length).toBeGreaterThan(3);
        for (const sample of waiting) {
          const promised = Date.parse(sample.value.connection.next_retry_at ?? 'missing');
          const attempt = events.find((e) => e.at > sample.after && e.value.phase === 'connecting');
          expect(attempt).toBeDefined();
          expect(attempt!.at).toBeGreaterThanOrEqual(promised - EARLY_TOLERANCE_MS);
          // Not scheduled further out than it said either: the attempt came when promised, give or take timer lateness.
          expect(attempt!.at - promised).toBeLessThan(scaled(production.maxDelayMs));
          const failedBefore = events.filter((e) => e.at < sample.before && e.value.phase === 'waiting_to_retry').length;
          expect(sample.value.connection_attempts).toBe(failedBefore);
        }

        // No wait the policy scheduled was longer than the cap, however long the outage had lasted.
        const scheduled = events.filter((e) => e.value.phase === 'waiting_to_retry').map((e) => Date.parse(e.value.nextRetryAt!) - e.at);
        expect(Math.max(...scheduled)).toBeLessThanOrEqual(scaled(production.maxDelayMs) + EARLY_TOLERANCE_MS);
        if (outageMs >= 5 * 60_000) {
          // Long enough to pass MAX_RECONNECT_ATTEMPTS: reported as long, and still retrying at the cap.
          expect(lastBeforeReturn).toMatchObject({ bot_connected: false, thread_alive: true, connection: { slow_retry: true } });
          expect(lastBeforeReturn.connection_attempts).toBeGreaterThan(production.maxAttempts);
        }

        // After the return: the attempt that logs in starts within the bound (policy time, scaled),
        // and the login on top of it stays within the real-time allowance.
        const successful = [...events].reverse().find((e) => e.at <= opened.at && e.value.phase === 'connecting')!;
        const attemptStartedAfter = Math.max(0, successful.at - cameBack);
        const loginMs = opened.at - successful.at;
        expect(attemptStartedAfter).toBeLessThanOrEqual(scaled(RECOVERY_BOUND_MS));
        expect(loginMs).toBeLessThanOrEqual(LOGIN_ALLOWANCE_MS);
        expect(await h.status()).toMatchObject({
          bot_connected: true,
          connection_attempts: 0,
          connection: { state: 'open', slow_retry: false, next_retry_at: null },
        });

        await h.expectSendWorks(RECIPIENT, `after an outage of ${outageMs / 1000} s`);
        if (process.env.E2E_REPORT) {
          process.stderr.write(
            `outage ${outageMs / 1000} s (scaled ${scaled(outageMs)} ms): ${samples.length} status samples, ${scheduled.length} attempts failed, ` +
              `longest wait ${Math.max(...scheduled)} ms; after the return the attempt started in ${attemptStartedAfter} ms ` +
              `(= ${(attemptStartedAfter / CLOCK / 1000).toFixed(1)} s production), login ${loginMs} ms\n`,
          );
        }
      } finally {
        h.gateway.transport.events.off('connection', record);
      }
    },
    90_000,
  );
});
