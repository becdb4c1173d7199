/**
 * The kinds of value an environment key can hold, as zod fields with their default: each turns the
 * raw string into a typed value or a message naming what was expected.
 */
import { z } from 'zod';
import { PROXY_URL_FORM, ProxyAddress } from '../proxy/proxy-address.js';
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

/**
 * Express "trust proxy": false (default: the socket address is the client), true (trust every hop;
 * only behind a proxy that overwrites X-Forwarded-For), a hop count, or a list of addresses/subnets
 * ("loopback", "10.0.0.0/8").
 */
export const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v): boolean | number | string[] => {
    if (v === undefined || v === '' || /^(false|0|no|off)$/i.test(v)) return false;
    if (/^(true|yes|on)$/i.test(v)) return true;
    if (/^\d+$/.test(v)) return Number(v);
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
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

/** A proxy URL (WA_PROXY_URL), or null when unset. A bad value is not echoed: it may hold a password. */
export const proxyUrl = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): ProxyAddress | null => {
    if (v === undefined || v === '') return null;
    const proxy = ProxyAddress.parse(v);
    if (!proxy) {
      ctx.addIssue({ code: 'custom', message: `expected ${PROXY_URL_FORM}` });
      return z.NEVER;
    }
    return proxy;
  });

/** The cluster's PostgreSQL (DATABASE_URL), or null when unset (one node, SQLite only). */
export const postgresUrl = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): string | null => {
    if (v === undefined || v === '') return null;
    let protocol = '';
    try {
      protocol = new URL(v).protocol;
    } catch {
      // Not echoed: the URL may hold a password.
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      ctx.addIssue({ code: 'custom', message: 'expected postgres://user:password@host:5432/database' });
      return z.NEVER;
    }
    return v;
  });
