/**
 * Sent content encrypted at rest: real SQLite file, real key file in a temp data folder.
 */
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { AesGcmContentCipher, CONTENT_KEY_FILE, contentCipher, isSealed } from '../../src/records/sent-content-cipher.js';
import { SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { encodeSentContent, storedMessageLookup } from '../../src/whatsapp/baileys/retry-receipts.js';

let dir: string;
let db: SqliteDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sent-cipher-'));
  db = openDatabase(join(dir, 'gateway.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const silent = pino({ level: 'silent' });
const PHONE = '6281234567890@s.whatsapp.net';
const rawRow = (id: string) => (db.prepare('SELECT content FROM sent_content WHERE wa_message_id = ?').get(id) as { content: Buffer }).content;
const keyed = (secret = '') => new SqliteSentContentRepository(db, contentCipher({ dataDir: dir, messageContentKey: secret }));

describe('sent content encrypted at rest', () => {
  test('first start creates a 0600 key file; content is not readable in the file and comes back after a restart', async () => {
    await keyed().save({ waMessageId: 'ID1', jid: PHONE, content: encodeSentContent({ conversation: 'the secret text' }) });
    const keyFile = join(dir, CONTENT_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(rawRow('ID1').includes(Buffer.from('the secret text'))).toBe(false);

    // A new process: the same key file, so a retry after a restart is still answered (by phone or LID).
    const lookup = storedMessageLookup(keyed(), silent);
    expect(await lookup({ id: 'ID1', remoteJid: PHONE, fromMe: true })).toMatchObject({ conversation: 'the secret text' });
    expect(await lookup({ id: 'ID1', remoteJid: '123456789012345@lid', fromMe: true })).toMatchObject({ conversation: 'the secret text' });
    expect(await lookup({ id: 'MISSING', remoteJid: PHONE, fromMe: true })).toBeUndefined();
  });

  test('a lost key only makes old content unanswerable (a miss, never garbage); new content works with the new key', async () => {
    await keyed().save({ waMessageId: 'OLD', jid: PHONE, content: encodeSentContent({ conversation: 'before' }) });
    unlinkSync(join(dir, CONTENT_KEY_FILE));
    const store = keyed();
    await store.save({ waMessageId: 'NEW', jid: PHONE, content: encodeSentContent({ conversation: 'after' }) });
    const lookup = storedMessageLookup(store, silent);
    expect(await lookup({ id: 'OLD', remoteJid: PHONE, fromMe: true })).toBeUndefined();
    expect(await lookup({ id: 'NEW', remoteJid: PHONE, fromMe: true })).toMatchObject({ conversation: 'after' });
  });

  test('every sealed row has its own random IV, past the end of a batch of IVs drawn together, and opens to its content', () => {
    const cipher = new AesGcmContentCipher(randomBytes(32));
    const sealed = Array.from({ length: 600 }, (_, i) => cipher.seal(Buffer.from(`text ${i}`), `ID${i}`));
    expect(new Set(sealed.map((row) => row.subarray(1, 13).toString('hex'))).size).toBe(600);
    sealed.forEach((row, i) => {
      expect(isSealed(row)).toBe(true);
      expect(Buffer.from(cipher.open(row, `ID${i}`)).toString()).toBe(`text ${i}`);
    });
    // The IV is the row's own copy: sealing more does not change rows sealed before.
    const first = Buffer.from(sealed[0]!);
    cipher.seal(Buffer.from('later'), 'ID-later');
    expect(sealed[0]).toEqual(first);
  });

  test('a row copied under another message id does not open', async () => {
    const store = keyed();
    await store.save({ waMessageId: 'A', jid: PHONE, content: encodeSentContent({ conversation: 'for A' }) });
    db.prepare('INSERT INTO sent_content (wa_message_id, jid, content, created_at) VALUES (?, ?, ?, ?)').run('B', PHONE, rawRow('A'), Date.now());
    expect(await storedMessageLookup(store, silent)({ id: 'B', remoteJid: PHONE, fromMe: true })).toBeUndefined();
  });

  test('MESSAGE_CONTENT_KEY: the key comes from the secret (no key file); another secret cannot read it', async () => {
    const secret = 'correct horse battery staple';
    await keyed(secret).save({ waMessageId: 'S1', jid: PHONE, content: encodeSentContent({ conversation: 'derived' }) });
    expect(existsSync(join(dir, CONTENT_KEY_FILE))).toBe(false);
    expect(await keyed(secret).find('S1')).toBeDefined();
    expect(await storedMessageLookup(keyed(secret), silent)({ id: 'S1', remoteJid: PHONE, fromMe: true })).toMatchObject({ conversation: 'derived' });
    expect(await storedMessageLookup(keyed('another secret entirely'), silent)({ id: 'S1', remoteJid: PHONE, fromMe: true })).toBeUndefined();
  });

  test('content kept before encryption (plain protobuf) is still answered until it expires', async () => {
    await new SqliteSentContentRepository(db).save({ waMessageId: 'LEGACY', jid: PHONE, content: encodeSentContent({ conversation: 'plain' }) });
    expect(await storedMessageLookup(keyed(), silent)({ id: 'LEGACY', remoteJid: PHONE, fromMe: true })).toMatchObject({ conversation: 'plain' });
  });

  test('a damaged key file stops the start with what to do, instead of silently replacing the key', () => {
    writeFileSync(join(dir, CONTENT_KEY_FILE), 'not a key\n');
    expect(() => keyed()).toThrow(/not a 64-character hex key: restore it from a backup, or delete it/);
  });

  test('the configured secret must be long enough, and is not echoed', () => {
    expect(loadConfig({}).messageContentKey).toBe('');
    expect(() => loadConfig({ MESSAGE_CONTENT_KEY: 'short-secret' })).toThrow(/MESSAGE_CONTENT_KEY: at least 16 characters/);
    expect(() => loadConfig({ MESSAGE_CONTENT_KEY: 'short-secret' })).not.toThrow(/short-secret/);
  });
});
