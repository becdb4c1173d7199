/**
 * A session's own API key: 32 random bytes, shown once when the session is created. Only its
 * SHA-256 is stored; a presented key is found by its hash (a lookup by digest reveals nothing
 * about the key) and then compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'wgs_';

export function newSessionKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashSessionKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Session name by key hash, for the sessions that exist now. */
export class SessionKeyIndex {
  private readonly byHash = new Map<string, { name: string; hash: Buffer }>();

  set(name: string, hash: Buffer): void {
    this.byHash.set(hash.toString('hex'), { name, hash });
  }

  remove(name: string): void {
    for (const [hex, entry] of this.byHash) if (entry.name === name) this.byHash.delete(hex);
  }

  /** The session whose key this is, or undefined. */
  sessionOf(presented: string): string | undefined {
    const hash = hashSessionKey(presented);
    const entry = this.byHash.get(hash.toString('hex'));
    return entry && timingSafeEqual(entry.hash, hash) ? entry.name : undefined;
  }
}
