/**
 * Sent content and retry counters on every store: the embedded SQLite file the gateway uses today
 * and the shared store through Kysely on SQLite and on PostgreSQL (same cases, same answers).
 */
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { KyselyRetryCounterRepository, KyselySentContentRepository } from '../../src/records/kysely-sent-content-repository.js';
import { AesGcmContentCipher, type ContentCipher } from '../../src/records/sent-content-cipher.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { encodeSentContent, storedMessageLookup } from '../../src/whatsapp/baileys/retry-receipts.js';
import type { RetryCounterStore, SentContentStore } from '../../src/whatsapp/sent-content.js';
import { STORES, useRepository } from '../support/store-implementations.js';

type ContentRepository = SentContentStore & { purgeBefore(before: number): Promise<number> };
type CounterRepository = RetryCounterStore & { purgeExpired(): number | Promise<number> };

/** One session's sent content and counters, as each store makes them. */
interface SessionContent {
  content(cipher?: ContentCipher): ContentRepository;
  counters(ttlMs: number, now: () => number): Promise<CounterRepository>;
  /** Waits until counter changes are stored (the shared store writes them behind). */
  stored(counters: CounterRepository): Promise<void>;
}

const text = (conversation: string) => encodeSentContent({ conversation });
const bytesOf = (conversation: string) => Buffer.from(text(conversation));

describe.each(STORES)('sent content and retry counters on %s', (store) => {
  const fixture = useRepository<SessionContent>(store, {
    embedded: (db) => ({
      content: (cipher) => new SqliteSentContentRepository(db, cipher),
      counters: async (ttlMs, now) => new SqliteRetryCounterRepository(db, ttlMs, now),
      stored: async () => undefined,
    }),
    shared: (db, session) => ({
      content: (cipher) => new KyselySentContentRepository(db, session, cipher),
      counters: (ttlMs, now) => KyselyRetryCounterRepository.load(db, session, ttlMs, now),
      stored: (counters) => (counters as KyselyRetryCounterRepository).flush(),
    }),
  });
  const cipher = new AesGcmContentCipher(randomBytes(32));

  test("Baileys' getMessage finds sealed content by id whichever JID form the retry names; a resend replaces it; it survives a restart", async () => {
    const content = fixture().repo.content(cipher);
    await content.save({ waMessageId: 'ID1', jid: '6281234567890@s.whatsapp.net', content: text('first') });
    await content.save({ waMessageId: 'ID1', jid: '6281234567890@s.whatsapp.net', content: text('hello') });
    const lookup = storedMessageLookup(content, pino({ level: 'silent' }));
    expect(await lookup({ id: 'ID1', remoteJid: '6281234567890@s.whatsapp.net', fromMe: true })).toMatchObject({ conversation: 'hello' });
    expect(await lookup({ id: 'ID1', remoteJid: '123456789012345@lid', fromMe: true })).toMatchObject({ conversation: 'hello' });
    expect(await lookup({ id: 'NOPE', remoteJid: '6281234567890@s.whatsapp.net', fromMe: true })).toBeUndefined();
    const restarted = (await fixture().reopen()).content(cipher);
    expect(Buffer.from((await restarted.find('ID1'))!)).toEqual(bytesOf('hello'));
  });

  test('sealed content does not open with another key or without one', async () => {
    await fixture()
      .repo.content(cipher)
      .save({ waMessageId: 'ID1', jid: 'a@s.whatsapp.net', content: text('secret') });
    const other = await fixture().connect();
    await expect(other.content(new AesGcmContentCipher(randomBytes(32))).find('ID1')).rejects.toThrow(/does not open/);
    await expect(other.content().find('ID1')).rejects.toThrow(/no key was given/);
  });

  test('content older than the retention is deleted', async () => {
    const content = fixture().repo.content();
    await content.save({ waMessageId: 'OLD', jid: 'a@s.whatsapp.net', content: text('old'), at: 1000 });
    await content.save({ waMessageId: 'NEW', jid: 'a@s.whatsapp.net', content: text('new'), at: 5000 });
    // A resend keeps the first save's time: retention counts from the first send.
    await content.save({ waMessageId: 'OLD', jid: 'a@s.whatsapp.net', content: text('old again'), at: 6000 });
    expect(await content.purgeBefore(1000)).toBe(0);
    expect(await content.purgeBefore(2000)).toBe(1);
    expect(await content.find('OLD')).toBeUndefined();
    expect(Buffer.from((await content.find('NEW'))!)).toEqual(bytesOf('new'));
  });

  test('retry counters persist across a restart, expire, and are purged', async () => {
    let now = 0;
    const counters = await fixture().repo.counters(100, () => now);
    counters.set('ID1:jid', 2);
    counters.set('ID2:jid', { count: 1 });
    counters.set('ID3:jid', 5);
    counters.del('ID3:jid');
    expect(counters.get('ID1:jid')).toBe(2);
    expect(counters.get('ID3:jid')).toBeUndefined();
    await fixture().repo.stored(counters);
    const restarted = await fixture().reopen();
    const again = await restarted.counters(100, () => now);
    expect(again.get('ID1:jid')).toBe(2);
    expect(again.get<{ count: number }>('ID2:jid')).toEqual({ count: 1 });
    expect(again.get('ID3:jid')).toBeUndefined();
    now = 50;
    again.set('ID1:jid', 3);
    now = 120;
    expect(again.get('ID1:jid')).toBe(3);
    expect(again.get('ID2:jid')).toBeUndefined();
    expect(await again.purgeExpired()).toBe(1);
    now = 200;
    expect(await again.purgeExpired()).toBe(1);
    expect(again.get('ID1:jid')).toBeUndefined();
  });

  test('flushAll forgets every counter, also after a restart', async () => {
    const counters = await fixture().repo.counters(1000, () => 0);
    counters.set('A', 1);
    counters.set('B', 2);
    counters.flushAll();
    counters.set('C', 3);
    await fixture().repo.stored(counters);
    const again = await (await fixture().reopen()).counters(1000, () => 0);
    expect([again.get('A'), again.get('B'), again.get('C')]).toEqual([undefined, undefined, 3]);
  });

  test("sessions do not see each other's content or counters; purges touch their own", async () => {
    const sales = await fixture().otherSession('sales');
    await fixture()
      .repo.content()
      .save({ waMessageId: 'ID1', jid: 'a@s.whatsapp.net', content: text('default'), at: 1000 });
    await sales.content().save({ waMessageId: 'ID1', jid: 'b@s.whatsapp.net', content: text('sales'), at: 1000 });
    await sales.content().save({ waMessageId: 'ID2', jid: 'b@s.whatsapp.net', content: text('sales only'), at: 1000 });
    expect(Buffer.from((await fixture().repo.content().find('ID1'))!)).toEqual(bytesOf('default'));
    expect(await fixture().repo.content().find('ID2')).toBeUndefined();
    expect(await sales.content().purgeBefore(2000)).toBe(2);
    expect(Buffer.from((await fixture().repo.content().find('ID1'))!)).toEqual(bytesOf('default'));

    const mine = await fixture().repo.counters(100, () => 0);
    const theirs = await sales.counters(100, () => 0);
    mine.set('K', 1);
    theirs.set('K', 7);
    theirs.flushAll();
    await fixture().repo.stored(mine);
    await sales.stored(theirs);
    expect((await fixture().repo.counters(100, () => 0)).get('K')).toBe(1);
    expect((await sales.counters(100, () => 0)).get('K')).toBeUndefined();
    expect(await (await sales.counters(100, () => 200)).purgeExpired()).toBe(0);
    expect(await (await fixture().repo.counters(100, () => 200)).purgeExpired()).toBe(1);
  });
});
