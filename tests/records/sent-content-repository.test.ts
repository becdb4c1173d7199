import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { encodeSentContent, storedMessageLookup } from '../../src/whatsapp/baileys/retry-receipts.js';

let dir: string;
let db: SqliteDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sent-content-'));
  db = openDatabase(join(dir, 'gateway.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sent content for retry receipts', () => {
  test("Baileys' getMessage finds a message by id whichever JID form the retry names; a miss is undefined", async () => {
    const store = new SqliteSentContentRepository(db);
    await store.save({ waMessageId: 'ID1', jid: '6281234567890@s.whatsapp.net', content: encodeSentContent({ conversation: 'hello' }) });
    const lookup = storedMessageLookup(store, pino({ level: 'silent' }));
    expect(await lookup({ id: 'ID1', remoteJid: '6281234567890@s.whatsapp.net', fromMe: true })).toMatchObject({ conversation: 'hello' });
    expect(await lookup({ id: 'ID1', remoteJid: '123456789012345@lid', fromMe: true })).toMatchObject({ conversation: 'hello' });
    expect(await lookup({ id: 'NOPE', remoteJid: '6281234567890@s.whatsapp.net', fromMe: true })).toBeUndefined();
  });

  test('content older than the retention is deleted', async () => {
    const store = new SqliteSentContentRepository(db);
    await store.save({ waMessageId: 'OLD', jid: 'a@s.whatsapp.net', content: encodeSentContent({ conversation: 'old' }), at: 1000 });
    await store.save({ waMessageId: 'NEW', jid: 'a@s.whatsapp.net', content: encodeSentContent({ conversation: 'new' }), at: 5000 });
    expect(await store.purgeBefore(2000)).toBe(1);
    expect(await store.find('OLD')).toBeUndefined();
    expect(await store.find('NEW')).toBeDefined();
  });

  test('retry counters persist and expire', () => {
    let now = 0;
    const counters = new SqliteRetryCounterRepository(db, 100, () => now);
    counters.set('ID1:jid', 2);
    expect(new SqliteRetryCounterRepository(db, 100, () => now).get('ID1:jid')).toBe(2);
    now = 200;
    expect(counters.get('ID1:jid')).toBeUndefined();
    expect(counters.purgeExpired()).toBe(1);
  });
});
