import { describe, expect, test } from '@jest/globals';
import { NO_PACING, nextAllowedAt, pacingHorizonMs, type SendRecord } from '../../src/outbox/pacing.js';

const A = 'a@s.whatsapp.net';
const B = 'b@s.whatsapp.net';

describe('pacing policy', () => {
  test('no policy: always now', () => {
    expect(nextAllowedAt(NO_PACING, A, [{ jid: A, at: 999 }], 1000)).toBe(1000);
  });

  test('per-recipient interval counts from the last send to that recipient only', () => {
    const policy = { perRecipientIntervalMs: 5000, perMinuteLimit: 0 };
    const history: SendRecord[] = [
      { jid: A, at: 1000 },
      { jid: A, at: 3000 },
      { jid: B, at: 4000 },
    ];
    expect(nextAllowedAt(policy, A, history, 4000)).toBe(8000);
    expect(nextAllowedAt(policy, B, history, 4000)).toBe(9000);
    expect(nextAllowedAt(policy, 'c@s.whatsapp.net', history, 4000)).toBe(4000);
    expect(nextAllowedAt(policy, A, history, 10_000)).toBe(10_000);
  });

  test('per-minute ceiling over a rolling window: the next send waits until enough sends age out', () => {
    const policy = { perRecipientIntervalMs: 0, perMinuteLimit: 3 };
    const history: SendRecord[] = [
      { jid: A, at: 0 },
      { jid: B, at: 10_000 },
      { jid: A, at: 20_000 },
    ];
    expect(nextAllowedAt(policy, B, history, 30_000)).toBe(60_000);
    expect(nextAllowedAt(policy, B, history.slice(1), 30_000)).toBe(30_000);
    // Over the ceiling (e.g. direct sends while pacing was off): wait for the excess to age out too.
    const burst = [...history, { jid: B, at: 25_000 }];
    expect(nextAllowedAt(policy, A, burst, 30_000)).toBe(70_000);
    // Sends older than the window do not count.
    expect(nextAllowedAt(policy, A, history, 60_001)).toBe(60_001);
  });

  test('both limits: the later one wins', () => {
    const policy = { perRecipientIntervalMs: 15_000, perMinuteLimit: 2 };
    const history: SendRecord[] = [
      { jid: A, at: 0 },
      { jid: B, at: 50_000 },
    ];
    expect(nextAllowedAt(policy, B, history, 51_000)).toBe(65_000);
    expect(nextAllowedAt(policy, A, history, 51_000)).toBe(60_000);
    expect(pacingHorizonMs(policy)).toBe(60_000);
    expect(pacingHorizonMs({ perRecipientIntervalMs: 90_000, perMinuteLimit: 0 })).toBe(90_000);
  });
});
