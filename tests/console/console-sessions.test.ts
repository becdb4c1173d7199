import { describe, expect, test } from '@jest/globals';
import { ConsoleSessions } from '../../src/console/console-sessions.js';

describe('ConsoleSessions', () => {
  test('a session ends at its expiry, and its id no longer works', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions(60_000, () => now);
    const { id, session } = sessions.create();
    expect(sessions.check(id, 'GET', undefined)).toBe('valid');
    expect(sessions.check(id, 'POST', session.csrfToken)).toBe('valid');
    now += 59_999;
    expect(sessions.find(id)).toBe(session);
    now += 1;
    expect(sessions.find(id)).toBeUndefined();
    expect(sessions.check(id, 'POST', session.csrfToken)).toBe('none');
  });

  test('safe methods need the session only; others also its own CSRF token', () => {
    const sessions = new ConsoleSessions(60_000);
    const a = sessions.create();
    const b = sessions.create();
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(sessions.check(a.id, method, undefined)).toBe('valid');
    for (const method of ['POST', 'DELETE', 'PUT', 'PATCH']) {
      expect(sessions.check(a.id, method, undefined)).toBe('csrf-refused');
      expect(sessions.check(a.id, method, b.session.csrfToken)).toBe('csrf-refused');
      expect(sessions.check(a.id, method, a.session.csrfToken)).toBe('valid');
    }
    expect(sessions.check('made-up', 'GET', undefined)).toBe('none');
    expect(sessions.check(undefined, 'GET', undefined)).toBe('none');
  });

  test('ids and tokens are random and distinct; destroy ends one session only', () => {
    const sessions = new ConsoleSessions(60_000);
    const created = Array.from({ length: 50 }, () => sessions.create());
    const values = created.flatMap((c) => [c.id, c.session.csrfToken]);
    expect(new Set(values).size).toBe(100);
    sessions.destroy(created[0]!.id);
    expect(sessions.find(created[0]!.id)).toBeUndefined();
    expect(sessions.find(created[1]!.id)).toBe(created[1]!.session);
  });

  test('keeps at most 200 sessions, dropping the oldest', () => {
    const sessions = new ConsoleSessions(60_000);
    const first = sessions.create();
    for (let i = 0; i < 200; i++) sessions.create();
    expect(sessions.find(first.id)).toBeUndefined();
  });
});
