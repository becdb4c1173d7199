/**
 * The session list on every store: the embedded one in default's database and the shared store's
 * one table for all nodes, through Kysely on SQLite and on PostgreSQL. Secrets are sealed with the
 * content key, the key kept only as a hash, and a row whose secrets no longer open (the content key
 * changed) is left out and reported instead of stopping every session from starting.
 */
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ProxyAddress } from '../../src/proxy/proxy-address.js';
import { AesGcmContentCipher, type ContentCipher } from '../../src/records/sent-content-cipher.js';
import { KyselySessionRegistry } from '../../src/sessions/kysely-session-registry.js';
import { hashSessionKey, newSessionKey, SessionKeyIndex } from '../../src/sessions/session-keys.js';
import { SqliteSessionRegistry, type SessionRegistry } from '../../src/sessions/session-registry.js';
import { STORES, useRepository } from '../support/store-implementations.js';

interface RawSession {
  key_hash: Buffer;
  webhook_secret: Buffer | null;
  proxy_url: string | null;
}

/** A registry under a given content key, and the rows as stored. */
interface RegistryStore {
  registry(cipher: ContentCipher): SessionRegistry;
  rows(): Promise<RawSession[]>;
}

const settings = (name: string, secret?: string, proxy: ProxyAddress | null = null) => ({
  name,
  webhook: secret ? { url: 'https://crm.example.com/hook', secret } : null,
  proxy,
  createdAt: new Date(1_700_000_000_000),
});

describe.each(STORES)('session registry on %s', (store) => {
  const fixture = useRepository<RegistryStore>(store, {
    embedded: (db) => ({
      registry: (cipher) => new SqliteSessionRegistry(db, cipher),
      rows: async () => db.prepare<[], RawSession>('SELECT key_hash, webhook_secret, proxy_url FROM sessions ORDER BY name').all(),
    }),
    // The session list is not per session: `session` is unused, every node shares the one table.
    shared: (db) => ({
      registry: (cipher) => new KyselySessionRegistry(db, cipher),
      rows: () => db.selectFrom('sessions').select(['key_hash', 'webhook_secret', 'proxy_url']).orderBy('name').execute(),
    }),
  });
  const cipher = new AesGcmContentCipher(randomBytes(32));

  test('stores the webhook secret and proxy sealed and the key only as a hash; a name is taken once', async () => {
    const registry = fixture().repo.registry(cipher);
    const key = newSessionKey();
    const proxy = ProxyAddress.parse('http://user:proxy-pass-0123@proxy.example.com:8080')!;
    expect(await registry.add(settings('sales', 'sales-secret-0123456789', proxy), hashSessionKey(key))).toBe(true);
    expect(await registry.add(settings('sales'), hashSessionKey(newSessionKey()))).toBe(false);
    const [raw] = await fixture().repo.rows();
    expect(raw!.webhook_secret!.toString('latin1')).not.toContain('sales-secret');
    expect(Buffer.from(raw!.proxy_url!, 'base64').toString('latin1')).not.toContain('proxy-pass');
    expect(raw!.proxy_url).not.toContain('proxy-pass');
    expect(Buffer.from(raw!.key_hash).equals(hashSessionKey(key))).toBe(true);
    const listed = await registry.list();
    expect(listed).toEqual([{ ...settings('sales', 'sales-secret-0123456789', proxy), keyHash: hashSessionKey(key) }]);
    expect(listed[0]!.proxy!.secretUrl()).toBe(proxy.secretUrl());

    const index = new SessionKeyIndex();
    for (const entry of listed) index.set(entry.name, entry.keyHash);
    expect(index.sessionOf(key)).toBe('sales');
    expect(index.sessionOf(`${key}x`)).toBeUndefined();
  });

  test('a row sealed under another content key is reported and left out; the others are listed', async () => {
    await fixture()
      .repo.registry(new AesGcmContentCipher(randomBytes(32)))
      .add(settings('old', 'old-secret-0123456789'), hashSessionKey(newSessionKey()));
    const registry = fixture().repo.registry(cipher);
    await registry.add(settings('fresh', 'fresh-secret-0123456789'), hashSessionKey(newSessionKey()));
    const unreadable: string[] = [];
    expect((await registry.list((name) => unreadable.push(name))).map((s) => s.name)).toEqual(['fresh']);
    expect(unreadable).toEqual(['old']);
    expect(await registry.remove('old')).toBe(true);
    expect(await registry.remove('old')).toBe(false);
  });

  test('every connection sees one list, in byte order; two adds of one name at once: exactly one wins', async () => {
    const first = fixture().repo.registry(cipher);
    const second = (await fixture().connect()).registry(cipher);
    for (const name of ['ab', 'a_b', 'a-b', 'a0']) expect(await first.add(settings(name), hashSessionKey(newSessionKey()))).toBe(true);
    expect((await second.list()).map((s) => s.name)).toEqual(['a-b', 'a0', 'a_b', 'ab']);
    const results = await Promise.all([
      first.add(settings('race'), hashSessionKey(newSessionKey())),
      second.add(settings('race'), hashSessionKey(newSessionKey())),
      second.add(settings('race'), hashSessionKey(newSessionKey())),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await second.remove('ab')).toBe(true);
    expect((await first.list()).map((s) => s.name)).toEqual(['a-b', 'a0', 'a_b', 'race']);
  });
});
