/**
 * The kinds of value an environment key can hold, as zod fields with their default: each turns the
 * raw string into a typed value or a message naming what was expected.
 */
import { z } from 'zod';

export const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

export const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^\d+$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got "${v}"` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

/** Sizes are given in MB; fractions allowed ("0.5" = 512KB). */
export const megabytes = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback * 1024 * 1024;
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n <= 0 || n > 2048) {
        ctx.addIssue({ code: 'custom', message: `expected a size in MB between 0 and 2048, got "${v}"` });
        return z.NEVER;
      }
      return Math.round(n * 1024 * 1024);
    });

/** A duration in seconds, fractions allowed ("0.5"); returned in milliseconds. */
export const seconds = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback * 1000;
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected seconds between ${min} and ${max}, got "${v}"` });
        return z.NEVER;
      }
      return Math.round(n * 1000);
    });

export const text = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v));

export const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

export const extensionList = list.transform((items, ctx) => {
  const bad = items.filter((e) => !/^[a-z0-9]+$/i.test(e.replace(/^\./, '')));
  if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `invalid extension(s): ${bad.join(', ')}` });
  return items.map((e) => e.replace(/^\./, '').toLowerCase());
});

export const url = (fallback: string, protocols: string[]) =>
  text(fallback).refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.join(' or ')})` },
  );
