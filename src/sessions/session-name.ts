/**
 * A session is one linked WhatsApp account. Its name is part of URLs and of a folder name, so it is
 * kept to lower-case letters, digits, `_` and `-` (API-EXTENSIONS.md: `[a-z0-9][a-z0-9_-]{0,31}`).
 */
export const DEFAULT_SESSION = 'default';

const SESSION_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function isSessionName(value: unknown): value is string {
  return typeof value === 'string' && SESSION_NAME.test(value);
}

/** Where a session's routes live: `/api` for `default` (the v2.0.0 paths), `/api/sessions/<name>` otherwise. */
export function sessionApiBase(name: string): string {
  return name === DEFAULT_SESSION ? '/api' : `/api/sessions/${name}`;
}
