import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config/config.js';
import { backoffDelay, decideOnClose } from '../../src/whatsapp/reconnect-policy.js';

const settings = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 16_000 };
const mid = () => 0.5;

describe('decideOnClose', () => {
  test('515 restart required reconnects at once without counting', () => {
    expect(decideOnClose({ code: 515, message: 'Stream Errored (restart required)', attempts: 3 }, settings, mid)).toMatchObject({
      action: 'reconnect',
      delayMs: 0,
      countsAsAttempt: false,
    });
  });

  test('401 logged out resets the session', () => {
    expect(decideOnClose({ code: 401, message: 'Connection Failure', attempts: 0 }, settings)).toMatchObject({ action: 'reset-session' });
  });

  test('440 replaced stops', () => {
    expect(decideOnClose({ code: 440, message: 'Stream Errored (conflict)', attempts: 0 }, settings)).toMatchObject({ action: 'stop', phase: 'replaced' });
  });

  test('expired QR refs ask for new QRs without counting', () => {
    expect(decideOnClose({ code: 408, message: 'QR refs attempts ended', attempts: 2 }, settings)).toMatchObject({
      action: 'reconnect',
      countsAsAttempt: false,
    });
  });

  test('transient closes back off exponentially with jitter up to the cap, then retry at the cap forever', () => {
    const decide = (attempts: number) => decideOnClose({ code: 428, message: 'Connection Closed', attempts }, settings, mid);
    const delays = [0, 1, 2, 3, 4, 5, 6].map((attempts) => decide(attempts));
    expect(delays.map((d) => d.action === 'reconnect' && d.delayMs)).toEqual([750, 1500, 3000, 6000, 12_000, 12_000, 12_000]);
    expect(delays.every((d) => d.action === 'reconnect' && d.countsAsAttempt)).toBe(true);
    // Past maxAttempts the outage is reported as long; the wait does not grow.
    expect(delays.map((d) => d.action === 'reconnect' && d.slow)).toEqual([false, false, false, false, false, true, true]);
    for (const attempts of [50, 1000, 5000, 1_000_000]) {
      expect(decide(attempts)).toMatchObject({ action: 'reconnect', slow: true, delayMs: 12_000 });
    }
  });

  test('no wait ever exceeds the cap, jitter included, however long the outage', () => {
    for (const attempt of [1, 4, 5, 6, 20, 1025, 1e9]) {
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = backoffDelay(attempt, settings, () => r);
        expect(d).toBeLessThanOrEqual(settings.maxDelayMs);
        expect(d).toBeGreaterThanOrEqual(Math.min(settings.maxDelayMs, 1000 * 2 ** (attempt - 1)) / 2);
      }
    }
  });

  test('with the production defaults, WhatsApp back at any moment means an attempt within 20 s', () => {
    const production = loadConfig({}).reconnect;
    expect(production.maxDelayMs).toBeLessThanOrEqual(20_000);
    // The attempt after WhatsApp returns waits at most one delay; the worst jitter draw at any attempt.
    const worst = Math.max(...Array.from({ length: 2000 }, (_, i) => backoffDelay(i + 1, production, () => 0.999999)));
    expect(worst).toBeLessThanOrEqual(production.maxDelayMs);
  });

  test('a long outage is never slower than a short one: the waits stop growing once at the cap', () => {
    const production = loadConfig({}).reconnect;
    const waits = Array.from({ length: 200 }, (_, i) => backoffDelay(i + 1, production, mid));
    const capped = waits.findIndex((w) => w === waits[waits.length - 1]);
    expect(capped).toBeLessThan(10);
    expect(new Set(waits.slice(capped)).size).toBe(1);
  });
});
