/**
 * The session list in default's database: secrets sealed with the content key, the key kept only
 * as a hash, and a row whose secrets no longer open (the content key changed) left out and
 * reported instead of stopping every session from starting.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AesGcmContentCipher } from '../../src/records/sent-content-cipher.js';
import { hashSessionKey, newSessionKey, SessionKeyIndex } from '../../src/sessions/session-keys.js';
import { SqliteSessionRegistry } from '../../src/sessions/session-registry.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';

describe('session registry', () => {
  let dir = '';
  let db: SqliteDatabase | undefined;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'session-registry-'));
    db = openDatabase(path.join(dir, 'gateway.db'));
    return db;
  };
  const settings = (name: string, secret?: string) => ({
    name,
    webhook: secret ? { url: 'https://crm.example.com/hook', secret } : null,
    proxy: null,
    createdAt: new Date(1_700_000_000_000),
  });

  test('stores the webhook secret sealed and the key only as a hash; a name is taken once', () => {
    const registry = new SqliteSessionRegistry(open(), new AesGcmContentCipher(randomBytes(32)));
    const key = newSessionKey();
    expect(registry.add(settings('sales', 'sales-secret-0123456789'), hashSessionKey(key))).toBe(true);
    expect(registry.add(settings('sales'), hashSessionKey(newSessionKey()))).toBe(false);
    const raw = db!.prepare<[], { key_hash: Buffer; webhook_secret: Buffer }>('SELECT key_hash, webhook_secret FROM sessions').get()!;
    expect(raw.webhook_secret.toString('latin1')).not.toContain('sales-secret');
    expect(raw.key_hash.equals(hashSessionKey(key))).toBe(true);
    expect(registry.list()).toEqual([{ ...settings('sales', 'sales-secret-0123456789'), keyHash: hashSessionKey(key) }]);

    const index = new SessionKeyIndex();
    for (const entry of registry.list()) index.set(entry.name, entry.keyHash);
    expect(index.sessionOf(key)).toBe('sales');
    expect(index.sessionOf(`${key}x`)).toBeUndefined();
  });

  test('a row sealed under another content key is reported and left out; the others are listed', () => {
    const database = open();
    new SqliteSessionRegistry(database, new AesGcmContentCipher(randomBytes(32))).add(
      settings('old', 'old-secret-0123456789'),
      hashSessionKey(newSessionKey()),
    );
    const registry = new SqliteSessionRegistry(database, new AesGcmContentCipher(randomBytes(32)));
    registry.add(settings('fresh', 'fresh-secret-0123456789'), hashSessionKey(newSessionKey()));
    const unreadable: string[] = [];
    expect(registry.list((name) => unreadable.push(name)).map((s) => s.name)).toEqual(['fresh']);
    expect(unreadable).toEqual(['old']);
    expect(registry.remove('old')).toBe(true);
  });
});
