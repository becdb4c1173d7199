import { describe, expect, test } from '@jest/globals';
import { backoffDelay, decideOnClose } from '../../src/whatsapp/baileys/reconnect-policy.js';

const settings = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, slowIntervalMs: 300_000 };
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

  test('transient closes back off exponentially with jitter, then retry slowly forever', () => {
    const delays = [0, 1, 2, 3, 4].map((attempts) => decideOnClose({ code: 428, message: 'Connection Closed', attempts }, settings, mid));
    expect(delays.map((d) => d.action === 'reconnect' && d.delayMs)).toEqual([750, 1500, 3000, 6000, 12000]);
    expect(delays.every((d) => d.action === 'reconnect' && d.countsAsAttempt && !d.slow)).toBe(true);
    const slow = decideOnClose({ code: 408, message: 'timed out', attempts: 5 }, settings, mid);
    expect(slow).toMatchObject({ action: 'reconnect', slow: true, delayMs: 300_000 });
    const later = decideOnClose({ code: undefined, message: '', attempts: 500 }, settings, mid);
    expect(later).toMatchObject({ action: 'reconnect', slow: true });
  });

  test('jitter stays within half to full step and under the cap', () => {
    for (const r of [0, 0.25, 0.999]) {
      const d = backoffDelay(20, settings, () => r);
      expect(d).toBeGreaterThanOrEqual(15_000);
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });
});
