/**
 * Operator console logins. The API key is exchanged once for a random session id carried in an
 * HttpOnly cookie; each session has its own CSRF token, which the console sends in a header with
 * every state-changing call. Sessions live in memory (a restart asks for the key again) and are
 * stored under a hash of their id, so a heap dump or a debug print never yields a usable cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  csrfToken: string;
  expiresAt: number;
}

/** What a request's cookie amounts to, for the API-key middleware. */
export type SessionCheck = 'none' | 'valid' | 'csrf-refused';

/** One operator rarely needs more; the oldest go first so a login loop cannot grow memory. */
const MAX_SESSIONS = 200;

const hash = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');
const token = () => randomBytes(32).toString('base64url');

function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  /** A new session; the returned id goes into the cookie and is not kept in clear. */
  create(): { id: string; session: ConsoleSession } {
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = token();
    const session = { csrfToken: token(), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(hash(id), session);
    return { id, session };
  }

  find(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const key = hash(id);
    const session = this.sessions.get(key);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(hash(id));
  }

  /**
   * Safe methods need only the session; anything else also needs the session's CSRF token: a
   * browser sends the cookie with a forged cross-site request, but cannot read or set the header.
   */
  check(id: string | undefined, method: string, csrfHeader: string | undefined): SessionCheck {
    const session = this.find(id);
    if (!session) return 'none';
    if (['GET', 'HEAD', 'OPTIONS'].includes(method)) return 'valid';
    return csrfHeader !== undefined && sameToken(csrfHeader, session.csrfToken) ? 'valid' : 'csrf-refused';
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}
