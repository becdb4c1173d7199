export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential, capped, with
 * "equal jitter" — half fixed, half random — so many receivers failing together do not retry in
 * lockstep, while the delay still grows reliably.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
