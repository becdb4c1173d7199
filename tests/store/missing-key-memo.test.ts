import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { makeCacheableSignalKeyStore, type SignalDataTypeMap, type SignalKeyStore } from '@whiskeysockets/baileys';
import { rememberMissingKeys } from '../../src/whatsapp/baileys/missing-key-memo.js';
import { useSqliteAuthState } from '../../src/whatsapp/baileys/sqlite-auth-state.js';
import { tempDatabase } from './temp-db.js';

const JID = '6281234567890@s.whatsapp.net';
const OTHER = '6289876543210@s.whatsapp.net';
const token = (): SignalDataTypeMap['tctoken'] => ({ token: Buffer.from('a token'), timestamp: '1700000000' });

/** The real SQLite key store, counting the lookups that reach it. */
async function countingStore(db: ReturnType<typeof tempDatabase>['db']): Promise<{ keys: SignalKeyStore; lookups: () => number }> {
  const { state } = await useSqliteAuthState(db);
  let lookups = 0;
  const keys: SignalKeyStore = {
    get: (type, ids) => {
      lookups += ids.length;
      return state.keys.get(type, ids);
    },
    set: (data) => state.keys.set(data),
    clear: () => state.keys.clear!(),
  };
  return { keys, lookups: () => lookups };
}

describe('rememberMissingKeys', () => {
  let handle: ReturnType<typeof tempDatabase>;
  beforeEach(() => {
    handle = tempDatabase();
  });
  afterEach(() => handle.cleanup());

  test('a key that does not exist is looked up once, not on every send', async () => {
    const store = await countingStore(handle.db);
    const keys = rememberMissingKeys(store.keys);
    for (let i = 0; i < 5; i++) expect((await keys.get('tctoken', [JID]))[JID]).toBeFalsy();
    expect(store.lookups()).toBe(1);
  });

  test("a set after a miss makes the key visible at once, also through Baileys' cache; a delete hides it again", async () => {
    const store = await countingStore(handle.db);
    const keys = makeCacheableSignalKeyStore(rememberMissingKeys(store.keys));
    expect((await keys.get('tctoken', [JID]))[JID]).toBeFalsy();
    await keys.set({ tctoken: { [JID]: token() } });
    expect((await keys.get('tctoken', [JID]))[JID]?.token?.toString()).toBe('a token');

    // Underneath the cache: the memo must not answer "missing" for a key now on disk.
    const direct = rememberMissingKeys(store.keys);
    expect((await direct.get('tctoken', [OTHER]))[OTHER]).toBeFalsy();
    await direct.set({ tctoken: { [OTHER]: token() } });
    expect((await direct.get('tctoken', [OTHER]))[OTHER]?.token?.toString()).toBe('a token');
    await direct.set({ tctoken: { [OTHER]: null } });
    expect((await direct.get('tctoken', [OTHER]))[OTHER]).toBeFalsy();
  });

  test('misses are per type and id; found keys are still read from the store', async () => {
    const store = await countingStore(handle.db);
    const keys = rememberMissingKeys(store.keys);
    await keys.set({ session: { '6281234567890.0': Buffer.from('session') } });
    const result = await keys.get('session', ['6281234567890.0', '6281234567890.2']);
    expect(result['6281234567890.0']?.toString()).toBe('session');
    expect(result['6281234567890.2']).toBeFalsy();
    await keys.get('session', ['6281234567890.0', '6281234567890.2']);
    expect(store.lookups()).toBe(3); // both, then only the one that exists
    expect((await keys.get('tctoken', ['6281234567890.2']))['6281234567890.2']).toBeFalsy();
    expect(store.lookups()).toBe(4);
  });

  test('clear forgets the misses along with the keys', async () => {
    const store = await countingStore(handle.db);
    const keys = rememberMissingKeys(store.keys);
    await keys.get('tctoken', [JID]);
    await keys.clear!();
    await keys.get('tctoken', [JID]);
    expect(store.lookups()).toBe(2);
  });
});
