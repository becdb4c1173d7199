/**
 * Webhook signing. The signature covers `${timestamp}.${body}`, so a captured request cannot be
 * replayed later with a new timestamp, nor its body altered.
 *
 * For receivers — verify before trusting a delivery:
 *   1. Read the raw request body as text (before any JSON parsing re-serialises it).
 *   2. Take `X-Webhook-Timestamp` (Unix seconds) and `X-Webhook-Signature` (`sha256=<hex>`).
 *   3. Compute HMAC-SHA256 with the shared secret over `${timestamp}.${rawBody}`, hex-encoded, and
 *      compare in constant time; reject timestamps more than a few minutes from your clock.
 *   4. Deduplicate on `X-Webhook-Id`: a delivery is retried until it gets a 2xx, so the same event
 *      can arrive more than once.
 * `verifyWebhookSignature` below does 2–3 for Node receivers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'X-Webhook-Id',
  event: 'X-Webhook-Event',
  timestamp: 'X-Webhook-Timestamp',
  signature: 'X-Webhook-Signature',
  attempt: 'X-Webhook-Attempt',
} as const;

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 over `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `X-Webhook-Signature` value. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `sha256=${signWebhook(secret, timestamp, body)}`;
}

export interface VerifyOptions {
  /** How far the timestamp may be from `now`, in seconds. */
  toleranceSeconds?: number;
  /** Unix seconds; defaults to the system clock. */
  now?: number;
}

export type VerifyResult = { valid: true } | { valid: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | null | undefined; signature: string | null | undefined },
  rawBody: string,
  options: VerifyOptions = {},
): VerifyResult {
  if (!headers.timestamp || !headers.signature) return { valid: false, reason: 'missing' };
  if (!/^\d+$/.test(headers.timestamp)) return { valid: false, reason: 'malformed' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(headers.signature.trim());
  if (!match?.[1]) return { valid: false, reason: 'malformed' };
  const timestamp = Number(headers.timestamp);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody), 'hex');
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { valid: true } : { valid: false, reason: 'mismatch' };
}
