/**
 * What to do when the WhatsApp socket closes, by close code. Pure, so every branch is unit tested.
 *
 * - 515 restart required (e.g. right after pairing): reconnect at once; not a failure.
 * - 401 logged out (device removed on the phone), 411 multi-device mismatch: the credentials are
 *   dead; wipe them and register afresh so a new QR appears without a restart.
 * - 440 connection replaced (the account was opened elsewhere): stop. Reconnecting would kick the
 *   other session, which kicks us, forever.
 * - 403 forbidden: WhatsApp refuses the account; retrying cannot help.
 * - QR refs exhausted (nobody scanned): ask for new QRs right away; not a failure.
 * - anything else: exponential backoff with jitter, capped at `maxDelayMs` and retried at that cap
 *   for as long as it takes. The cap, not the outage's length, bounds how long the gateway stays
 *   down after WhatsApp is back: an hour's outage costs no more than a minute's. After
 *   `maxAttempts` failures the outage counts as long (`slow`): reported, not slowed down.
 */
export interface ReconnectSettings {
  /** Failed attempts after which the outage is reported as long (error log, `slow_retry`). */
  maxAttempts: number;
  baseDelayMs: number;
  /** The longest wait between attempts, jitter included. */
  maxDelayMs: number;
}

export interface CloseEvent {
  code: number | undefined;
  message: string;
  /** Failed attempts counted since the connection was last open. */
  attempts: number;
}

export type CloseDecision =
  | { action: 'reconnect'; delayMs: number; countsAsAttempt: boolean; slow: boolean; reason: string }
  | { action: 'reset-session'; reason: string }
  | { action: 'stop'; phase: 'replaced' | 'stopped'; reason: string };

export const CLOSE_CODES = {
  loggedOut: 401,
  forbidden: 403,
  timedOut: 408,
  multideviceMismatch: 411,
  connectionClosed: 428,
  connectionReplaced: 440,
  badSession: 500,
  unavailableService: 503,
  restartRequired: 515,
} as const;

/** The wait before attempt `attempt` (1-based): never more than `maxDelayMs`, however many came before. */
export function backoffDelay(attempt: number, settings: ReconnectSettings, random: () => number): number {
  // 2 ** n overflows to Infinity after ~1000 attempts; Math.min turns that into the cap.
  const step = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": at least half the step, so retries spread out but never collapse to zero.
  return Math.round(step / 2 + (random() * step) / 2);
}

export function decideOnClose(event: CloseEvent, settings: ReconnectSettings, random: () => number = Math.random): CloseDecision {
  switch (event.code) {
    case CLOSE_CODES.restartRequired:
      return { action: 'reconnect', delayMs: 0, countsAsAttempt: false, slow: false, reason: 'restart required by WhatsApp (515)' };
    case CLOSE_CODES.loggedOut:
      return { action: 'reset-session', reason: 'logged out: the device was removed from the phone (401)' };
    case CLOSE_CODES.multideviceMismatch:
      return { action: 'reset-session', reason: 'multi-device mismatch: the session must be linked again (411)' };
    case CLOSE_CODES.connectionReplaced:
      return {
        action: 'stop',
        phase: 'replaced',
        reason: 'connection replaced: this account was opened by another client (440); not reconnecting to avoid a takeover loop',
      };
    case CLOSE_CODES.forbidden:
      return { action: 'stop', phase: 'stopped', reason: 'WhatsApp refused this account (403 forbidden)' };
  }
  if (/QR refs attempts ended/i.test(event.message)) {
    return { action: 'reconnect', delayMs: 1000, countsAsAttempt: false, slow: false, reason: 'QR codes expired unscanned; requesting new ones' };
  }
  const attempt = event.attempts + 1;
  const reason = `connection closed (${event.code ?? 'no code'}${event.message ? `: ${event.message}` : ''})`;
  return { action: 'reconnect', delayMs: backoffDelay(attempt, settings, random), countsAsAttempt: true, slow: attempt > settings.maxAttempts, reason };
}
