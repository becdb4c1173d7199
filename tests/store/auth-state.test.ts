import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { BufferJSON, proto, useMultiFileAuthState, type SignalDataSet, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import { encodeAuthValue, useSqliteAuthState } from '../../src/whatsapp/baileys/sqlite-auth-state.js';
import { importMultiFileSession, parseKeyFileName } from '../../src/whatsapp/baileys/session-import.js';
import { tempDatabase } from './temp-db.js';

/** One key of every type Baileys 7 stores, with the awkward ids: `/` and `::` and `-` and `__`. */
function sampleKeys(): SignalDataSet {
  return {
    'pre-key': { '1': { public: randomBytes(32), private: randomBytes(32) }, '2': { public: randomBytes(32), private: randomBytes(32) } },
    session: { '6281234567890.0': randomBytes(120), '123456789012345_1.3': randomBytes(80) },
    'sender-key': { '120363025246125888@g.us::6281234567890::0': randomBytes(64), '6281234-1600000000@g.us::99887766_1::2': randomBytes(64) },
    'sender-key-memory': { '6281234-1600000000@g.us': { '6281234567890:2@s.whatsapp.net': true } },
    'app-state-sync-key': {
      'AAAAAB/x+Q==': { keyData: randomBytes(32), fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 1] }, timestamp: 1700000000 },
    },
    'app-state-sync-version': { critical_unblock_low: { version: 3, hash: randomBytes(128), indexValueMap: { 'bWFj/Lw==': { valueMac: randomBytes(32) } } } },
    'lid-mapping': { '6281234567890': '123456789012345', '123456789012345_reverse': '6281234567890' },
    'device-list': { '6281234567890': ['0', '2'] },
    tctoken: {
      __index: { token: Buffer.from('["6281234567890@s.whatsapp.net"]') },
      '6281234567890@s.whatsapp.net': { token: randomBytes(16), timestamp: '1700000000' },
    },
    'identity-key': { '6281234567890.0': randomBytes(33) },
  };
}

const idsOf = (set: SignalDataSet) => Object.entries(set).map(([type, entries]) => [type as keyof SignalDataTypeMap, Object.keys(entries ?? {})] as const);

describe('useSqliteAuthState', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  beforeEach(() => {
    tmp = tempDatabase('wa-auth-');
  });
  afterEach(() => tmp.cleanup());

  test('starts with fresh creds, and saved creds and keys come back deep-equal after reopening', async () => {
    const first = await useSqliteAuthState(tmp.db);
    expect(first.state.creds.registered).toBe(false);
    first.state.creds.me = { id: '6281234567890:2@s.whatsapp.net', name: 'Gateway' };
    await first.saveCreds();
    const keys = sampleKeys();
    await first.state.keys.set(keys);

    const db = tmp.reopen();
    const second = await useSqliteAuthState(db);
    expect(second.state.creds).toEqual(first.state.creds);
    expect(Buffer.isBuffer(second.state.creds.noiseKey.private)).toBe(true);
    for (const [type, ids] of idsOf(keys)) {
      const got = await second.state.keys.get(type, ids);
      // app-state-sync-key comes back as a proto object, the rest exactly as written.
      const expected = type === 'app-state-sync-key' ? expect.objectContaining({ keyData: expect.any(Buffer) }) : undefined;
      for (const id of ids) {
        expect({ type, id, value: got[id] }).toEqual({ type, id, value: expected ?? (keys[type] as Record<string, unknown>)[id] });
      }
    }
    const session = await second.state.keys.get('session', ['6281234567890.0']);
    expect(Buffer.isBuffer(session['6281234567890.0'])).toBe(true);
  });

  test('a null in keys.set deletes, missing ids read as null, and clear() wipes everything', async () => {
    const auth = await useSqliteAuthState(tmp.db);
    await auth.saveCreds();
    await auth.state.keys.set(sampleKeys());
    await auth.state.keys.set({ 'pre-key': { '1': null } });
    expect(await auth.state.keys.get('pre-key', ['1', '3'])).toEqual({ '1': null, '3': null });
    expect((await auth.state.keys.get('pre-key', ['2']))['2']).toBeTruthy();

    await auth.clear();
    expect(tmp.db.prepare('SELECT COUNT(*) AS n FROM auth_keys').get()).toEqual({ n: 0 });
    expect(tmp.db.prepare('SELECT COUNT(*) AS n FROM auth_creds').get()).toEqual({ n: 0 });
    expect((await useSqliteAuthState(tmp.db)).state.creds.registered).toBe(false);
  });

  test('keys.set is one transaction: a failure half-way leaves nothing written', async () => {
    const auth = await useSqliteAuthState(tmp.db);
    const poison = {
      toJSON: () => {
        throw new Error('unserialisable');
      },
    };
    await expect(auth.state.keys.set({ 'pre-key': { '10': { public: randomBytes(32), private: randomBytes(32) }, '11': poison as never } })).rejects.toThrow(
      'unserialisable',
    );
    expect(await auth.state.keys.get('pre-key', ['10'])).toEqual({ '10': null });
  });
});

describe('encodeAuthValue', () => {
  test("writes exactly what BufferJSON's replacer writes, with or without bytes anywhere in the value", () => {
    const session = {
      _sessions: { base: { registrationId: 7, currentRatchet: { rootKey: 'cm9vdA==', previousCounter: 0 }, _chains: { a: { messageKeys: { '3': 'a2V5' } } } } },
      version: 'v1',
    };
    const values: unknown[] = [
      session,
      ...Object.values(sampleKeys()).flatMap((entries) => Object.values(entries ?? {})),
      { nested: [1, 'two', null, { deep: new Uint8Array([1, 2, 3]) }] },
      { already: { type: 'Buffer', data: 'AQID' } },
      { when: new Date(0), gone: undefined, list: [undefined] },
      proto.Message.AppStateSyncKeyData.fromObject({ keyData: randomBytes(8), timestamp: 5 }),
      'text',
      42,
      null,
    ];
    for (const value of values) expect(encodeAuthValue(value)).toBe(JSON.stringify(value, BufferJSON.replacer));
  });
});

describe('importMultiFileSession', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  beforeEach(() => {
    tmp = tempDatabase('wa-import-');
  });
  afterEach(() => tmp.cleanup());

  async function writeMultiFileSession(dir: string) {
    const files = await useMultiFileAuthState(dir);
    files.state.creds.me = { id: '6281234567890:2@s.whatsapp.net', lid: '123456789012345:2@lid', name: 'Gateway' };
    files.state.creds.registered = true;
    await files.saveCreds();
    const keys = sampleKeys();
    await files.state.keys.set(keys);
    return keys;
  }

  test('imports a session written by the real useMultiFileAuthState: creds and every key read back deep-equal', async () => {
    const sessionDir = join(tmp.dir, 'session');
    const keys = await writeMultiFileSession(sessionDir);
    const fileCount = readdirSync(sessionDir).length;

    const result = await importMultiFileSession(tmp.db, sessionDir);
    expect(result).toEqual({ imported: true, keys: fileCount - 1, skipped: [] });

    const fromFiles = await useMultiFileAuthState(sessionDir);
    const fromDb = await useSqliteAuthState(tmp.reopen());
    expect(fromDb.state.creds).toEqual(fromFiles.state.creds);
    expect(fromDb.state.creds.registered).toBe(true);
    for (const [type, ids] of idsOf(keys)) {
      const expected = await fromFiles.state.keys.get(type, ids);
      const actual = await fromDb.state.keys.get(type, ids);
      expect({ type, actual }).toEqual({ type, actual: expected });
      for (const id of ids) expect({ type, id, present: actual[id] != null }).toEqual({ type, id, present: true });
    }
    // The folder is left alone: removing it is the operator's call.
    expect(readdirSync(sessionDir)).toHaveLength(fileCount);
  });

  test('runs once: not again after a logout emptied the database, and never over existing creds', async () => {
    const sessionDir = join(tmp.dir, 'session');
    await writeMultiFileSession(sessionDir);
    expect((await importMultiFileSession(tmp.db, sessionDir)).imported).toBe(true);
    await (await useSqliteAuthState(tmp.db)).clear();
    expect(await importMultiFileSession(tmp.db, sessionDir)).toEqual({ imported: false, reason: 'already-imported' });

    const other = tempDatabase('wa-import-');
    try {
      await (await useSqliteAuthState(other.db)).saveCreds();
      expect(await importMultiFileSession(other.db, sessionDir)).toEqual({ imported: false, reason: 'db-has-creds' });
    } finally {
      other.cleanup();
    }
  });

  test('no folder or no creds.json is not an error; unknown and torn files are skipped', async () => {
    expect(await importMultiFileSession(tmp.db, join(tmp.dir, 'missing'))).toEqual({ imported: false, reason: 'no-session' });
    const sessionDir = join(tmp.dir, 'session');
    mkdirSync(sessionDir);
    writeFileSync(join(sessionDir, 'pre-key-1.json'), '{"public":');
    expect(await importMultiFileSession(tmp.db, sessionDir)).toEqual({ imported: false, reason: 'no-session' });

    await writeMultiFileSession(sessionDir);
    writeFileSync(join(sessionDir, 'pre-key-1.json'), '{"public":');
    writeFileSync(join(sessionDir, 'notes.txt'), 'hello');
    const result = await importMultiFileSession(tmp.db, sessionDir);
    expect(result).toMatchObject({ imported: true, skipped: expect.arrayContaining(['pre-key-1.json', 'notes.txt']) });
  });

  test('parseKeyFileName undoes fixFileName per type', () => {
    expect(parseKeyFileName('sender-key-memory-1234-5678@g.us.json')).toEqual({ type: 'sender-key-memory', id: '1234-5678@g.us' });
    expect(parseKeyFileName('sender-key-1234-5678@g.us--99_1--0.json')).toEqual({ type: 'sender-key', id: '1234-5678@g.us::99_1::0' });
    expect(parseKeyFileName('app-state-sync-key-AA__B+==.json')).toEqual({ type: 'app-state-sync-key', id: 'AA/B+==' });
    expect(parseKeyFileName('tctoken-__index.json')).toEqual({ type: 'tctoken', id: '__index' });
    expect(parseKeyFileName('creds.json')).toBeNull();
    expect(parseKeyFileName('unknown-1.json')).toBeNull();
  });
});
