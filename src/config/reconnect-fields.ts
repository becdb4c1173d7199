/**
 * The reconnect keys: MAX_RECONNECT_ATTEMPTS, RECONNECT_BASE_DELAY_MS and RECONNECT_MAX_DELAY_MS, as
 * zod fields like env-fields.ts's, the rule between them, and the `reconnect` part of the config.
 */
import { integer } from './env-fields.js';

/**
 * The longest wait between reconnect attempts, jitter included. With it, a linked gateway is back
 * within 30 s of WhatsApp becoming reachable again (this wait, plus the login), however long the
 * outage was.
 */
export const RECONNECT_DELAY_CEILING_MS = 20_000;

/** The reconnect keys' fields, in the order they are checked (and their problems listed). */
export const reconnectFields = {
  MAX_RECONNECT_ATTEMPTS: integer(5, 0, 1000),
  // The old ranges stay accepted so existing .env files start; values above the ceiling are lowered
  // (with a warning) in reconnectSettings.
  RECONNECT_BASE_DELAY_MS: integer(2000, 10, 600_000),
  RECONNECT_MAX_DELAY_MS: integer(15_000, 10, 3_600_000),
};

export interface ReconnectConfig {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Checked on the raw values, so a run with other bad keys names this one too. */
export function reconnectProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const base = Number(env.RECONNECT_BASE_DELAY_MS || 2000);
  const max = Number(env.RECONNECT_MAX_DELAY_MS || 15_000);
  if (Number.isFinite(base) && Number.isFinite(max) && max < base) {
    problems.push('RECONNECT_MAX_DELAY_MS: must not be smaller than RECONNECT_BASE_DELAY_MS');
  }
  return problems;
}

/** The reconnect waits, lowered to the ceiling (and the base to the cap) with a warning each. */
export function reconnectSettings(
  e: { MAX_RECONNECT_ATTEMPTS: number; RECONNECT_BASE_DELAY_MS: number; RECONNECT_MAX_DELAY_MS: number },
  warnings: string[],
): ReconnectConfig {
  let maxDelayMs = e.RECONNECT_MAX_DELAY_MS;
  let baseDelayMs = e.RECONNECT_BASE_DELAY_MS;
  // Lowered rather than refused: .env files written for the old slow-retry policy (60000 was its
  // default) must still start, and the ceiling is what keeps recovery within 30 s.
  if (maxDelayMs > RECONNECT_DELAY_CEILING_MS) {
    warnings.push(
      `RECONNECT_MAX_DELAY_MS=${maxDelayMs} is above ${RECONNECT_DELAY_CEILING_MS}, the most that keeps reconnection within 30 s of WhatsApp's return; using ${RECONNECT_DELAY_CEILING_MS}`,
    );
    maxDelayMs = RECONNECT_DELAY_CEILING_MS;
  }
  if (baseDelayMs > maxDelayMs) {
    warnings.push(`RECONNECT_BASE_DELAY_MS=${baseDelayMs} is above the reconnect cap; using ${maxDelayMs}`);
    baseDelayMs = maxDelayMs;
  }
  return { maxAttempts: e.MAX_RECONNECT_ATTEMPTS, baseDelayMs, maxDelayMs };
}
