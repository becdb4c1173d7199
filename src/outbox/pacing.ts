/**
 * Send pacing as a pure policy: given what was sent recently, when may the next message to a
 * recipient go? The outbox queues until then instead of failing, so bursts are smoothed rather
 * than rejected, and WhatsApp sees a human-like rate from the account.
 */
export interface PacingPolicy {
  /** Minimum gap between two messages to the same recipient; 0 turns it off. */
  perRecipientIntervalMs: number;
  /** Ceiling for the whole account in any rolling 60 s window; 0 turns it off. */
  perMinuteLimit: number;
}

export interface SendRecord {
  jid: string;
  /** Epoch milliseconds. */
  at: number;
}

export const PACING_WINDOW_MS = 60_000;

export const NO_PACING: PacingPolicy = { perRecipientIntervalMs: 0, perMinuteLimit: 0 };

/** How far back the history must reach for `nextAllowedAt` to be exact. */
export function pacingHorizonMs(policy: PacingPolicy): number {
  return Math.max(policy.perRecipientIntervalMs, policy.perMinuteLimit > 0 ? PACING_WINDOW_MS : 0);
}

/** The earliest moment (epoch ms, never before `now`) a message to `jid` may be sent. */
export function nextAllowedAt(policy: PacingPolicy, jid: string, history: readonly SendRecord[], now: number): number {
  return Math.max(now, recipientReadyAt(policy, jid, history), accountReadyAt(policy, history, now));
}

export function recipientReadyAt(policy: PacingPolicy, jid: string, history: readonly SendRecord[]): number {
  if (policy.perRecipientIntervalMs <= 0) return 0;
  let last = -Infinity;
  for (const send of history) if (send.jid === jid && send.at > last) last = send.at;
  return last === -Infinity ? 0 : last + policy.perRecipientIntervalMs;
}

export function accountReadyAt(policy: PacingPolicy, history: readonly SendRecord[], now: number): number {
  if (policy.perMinuteLimit <= 0) return 0;
  const inWindow = history
    .map((s) => s.at)
    .filter((at) => at > now - PACING_WINDOW_MS)
    .sort((a, b) => a - b);
  if (inWindow.length < policy.perMinuteLimit) return 0;
  // The window must shed enough sends that one more fits: the oldest (excess + 1) have to age out.
  const mustAgeOut = inWindow[inWindow.length - policy.perMinuteLimit];
  return mustAgeOut === undefined ? 0 : mustAgeOut + PACING_WINDOW_MS;
}

/**
 * Of the recipients' queue heads (oldest first), the first that pacing, its own retry delay and
 * the hold policy let go now; otherwise when the earliest of them may go. Both outbox stores
 * choose their next job with it.
 */
export function firstReadyHead<Head extends { jid: string; not_before: number | null }>(
  heads: readonly Head[],
  history: readonly SendRecord[],
  now: number,
  pacing: PacingPolicy,
  heldUntil?: (jid: string) => number | null,
): { head: Head } | { head: null; wakeAt: number } {
  let wakeAt = Infinity;
  for (const head of heads) {
    const at = Math.max(nextAllowedAt(pacing, head.jid, history, now), head.not_before ?? 0, heldUntil?.(head.jid) ?? 0);
    if (at <= now) return { head };
    wakeAt = Math.min(wakeAt, at);
  }
  return { head: null, wakeAt };
}
