/**
 * The cluster keys: DATABASE_URL (several nodes on one PostgreSQL), NODE_ID and LEASE_TTL, as zod
 * fields like env-fields.ts's, and the `cluster` part of the config they make.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { seconds, text } from './env-fields.js';

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

/** The cluster keys' fields, in the order they are checked (and their problems listed). */
export const clusterFields = {
  DATABASE_URL: postgresUrl,
  NODE_ID: text('').refine((v) => /^[A-Za-z0-9._:-]{0,100}$/.test(v), { message: 'letters, digits and . _ : - only (at most 100)' }),
  LEASE_TTL: seconds(15, 0.3, 600),
};

export interface ClusterConfig {
  databaseUrl: string;
  nodeId: string;
  leaseTtlMs: number;
}

/** Clustered when DATABASE_URL is set; null = one node. */
export function clusterSettings(e: { DATABASE_URL: string | null; NODE_ID: string; LEASE_TTL: number }): ClusterConfig | null {
  if (!e.DATABASE_URL) return null;
  // A restarted process must be a new node (it acquires afresh); a restarted container keeps its
  // hostname and pid 1, hence the random part.
  return { databaseUrl: e.DATABASE_URL, nodeId: e.NODE_ID || `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, leaseTtlMs: e.LEASE_TTL };
}
