import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signWebhook, signatureHeader, verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { backoffDelay } from '../../src/webhooks/backoff.js';

const secret = 'test-secret-123';
const body = '{"id":"e1","event":"message.status"}';

describe('webhook signatures', () => {
  test('HMAC-SHA256 hex over "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1700000000, body)).toBe(expected);
    expect(signatureHeader(secret, 1700000000, body)).toBe(`sha256=${expected}`);
  });

  test('verify accepts a fresh signature and rejects tampering, other secrets, stale and malformed headers', () => {
    const signature = signatureHeader(secret, 1700000000, body);
    const at = { now: 1700000100 };
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature }, body, at)).toEqual({ valid: true });
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature }, `${body} `, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyWebhookSignature('other', { timestamp: '1700000000', signature }, body, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(secret, { timestamp: '1700000001', signature }, body, at)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature }, body, { now: 1700000301 })).toEqual({ valid: false, reason: 'stale' });
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature }, body, { now: 1700000301, toleranceSeconds: 600 })).toEqual({ valid: true });
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature: 'sha256=abc' }, body, at)).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, { timestamp: 'soon', signature }, body, at)).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, { timestamp: undefined, signature }, body, at)).toEqual({ valid: false, reason: 'missing' });
  });
});

describe('backoffDelay', () => {
  test('doubles per attempt up to the cap, with half of it jittered', () => {
    const options = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, options, () => 0))).toEqual([500, 1000, 2000]);
  });
});
