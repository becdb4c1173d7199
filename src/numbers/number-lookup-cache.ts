/**
 * WhatsApp's answers about phone numbers, kept in memory for a while. Every lookup is a query to
 * WhatsApp, and an account that looks up many numbers is treated as a spammer: a client that checks
 * its contact list before each campaign should cost one query per number a day, not one per check.
 *
 * A "yes" lives longer than a "no" (CHECK_NUMBER_CACHE_TTL, CHECK_NUMBER_NEGATIVE_CACHE_TTL): an
 * account rarely disappears, but a person told "get WhatsApp" often installs it within the hour.
 * The size is bounded; past it the entry stored longest ago goes first. Lost on restart, which only
 * costs a query.
 */
import type { NumberOnWhatsApp } from '../whatsapp/transport.js';

export interface NumberLookupCacheOptions {
  positiveTtlMs: number;
  negativeTtlMs: number;
  /** Numbers kept at most. */
  maxEntries: number;
  now?: () => number;
}

/** About 200 bytes an entry: 2 MB at most. */
export const DEFAULT_MAX_ENTRIES = 10_000;

export class NumberLookupCache {
  // A Map iterates in insertion order, and set() re-inserts: the first key is the oldest entry.
  private readonly entries = new Map<string, { answer: NumberOnWhatsApp; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: NumberLookupCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(phone: string): NumberOnWhatsApp | undefined {
    const entry = this.entries.get(phone);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(phone);
      return undefined;
    }
    return entry.answer;
  }

  set(answer: NumberOnWhatsApp): void {
    const ttl = answer.exists ? this.options.positiveTtlMs : this.options.negativeTtlMs;
    this.entries.delete(answer.phone);
    if (ttl <= 0 || this.options.maxEntries <= 0) return;
    this.entries.set(answer.phone, { answer, expiresAt: this.now() + ttl });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
