/**
 * A session's account restriction and its established chats on every store: the embedded SQLite
 * file and the shared store through Kysely on SQLite and on PostgreSQL (same cases, same answers).
 * In the shared store a restriction written through one connection (the driving node) is what a
 * store on another connection (another node) reports after refresh().
 */
import { describe, expect, test } from '@jest/globals';
import { KyselyRestrictionStore } from '../../src/messaging/kysely-restriction-store.js';
import type { ActiveRestriction } from '../../src/messaging/restriction.js';
import { SqliteRestrictionStore, type RestrictionStore } from '../../src/messaging/restriction-store.js';
import { embeddedRecords, sharedRecords, type TestRecords } from '../support/message-records.js';
import { STORES, useRepository } from '../support/store-implementations.js';

interface SessionRestrictions {
  /** The session's restriction store as a node opens it. */
  open(): Promise<RestrictionStore>;
  records: TestRecords;
}

const HOUR = 60 * 60 * 1000;
const JID = '6281234567890@s.whatsapp.net';
const restriction = (until: number, code = 463): ActiveRestriction => ({
  code,
  reason: 'reachout_timelock',
  since: new Date(until - HOUR).toISOString(),
  until: new Date(until).toISOString(),
  untilFromWhatsApp: true,
});
/** Stored for good: the shared store writes behind. */
const stored = async (store: RestrictionStore) => store.flush?.();

describe.each(STORES)('account restriction store on %s', (store) => {
  const fixture = useRepository<SessionRestrictions>(store, {
    embedded: (db) => ({ open: async () => new SqliteRestrictionStore(db), records: embeddedRecords(db) }),
    shared: (db, session) => ({ open: () => KyselyRestrictionStore.load(db, session), records: sharedRecords(db, session) }),
  });

  test('none stored at first; a written one is read back at once and after a restart', async () => {
    const restrictions = await fixture().repo.open();
    expect(restrictions.read()).toBeNull();
    const active = restriction(Date.now() + HOUR);
    restrictions.write(active);
    expect(restrictions.read()).toEqual(active);
    await stored(restrictions);
    expect((await (await fixture().reopen()).open()).read()).toEqual(active);
  });

  test('a newer restriction replaces the stored one', async () => {
    const restrictions = await fixture().repo.open();
    restrictions.write(restriction(Date.now() + HOUR));
    const later = restriction(Date.now() + 3 * HOUR, 464);
    restrictions.write(later);
    await stored(restrictions);
    expect((await (await fixture().reopen()).open()).read()).toEqual(later);
  });

  test("another session does not see this session's restriction", async () => {
    const restrictions = await fixture().repo.open();
    restrictions.write(restriction(Date.now() + HOUR));
    await stored(restrictions);
    expect((await (await fixture().otherSession('shop')).open()).read()).toBeNull();
  });

  test('another connection (another node) reads what was written', async () => {
    const reader = await fixture().connect();
    const before = await reader.open();
    const writer = await fixture().repo.open();
    const active = restriction(Date.now() + HOUR);
    writer.write(active);
    await stored(writer);
    await before.refresh?.();
    // The embedded store has one writer per file: a store opened after the write reads it.
    const seen = before.refresh ? before : await reader.open();
    expect(seen.read()).toEqual(active);
  });

  test('during a restriction, a chat with a message past the server is established; one only queued or failed is not', async () => {
    const { records } = fixture().repo;
    await records.create('r1', { waMessageId: 'W1', status: 'sent', at: Date.now() - HOUR });
    const restrictions = await fixture().repo.open();
    restrictions.write(restriction(Date.now() + HOUR));
    await stored(restrictions);
    expect(restrictions.established(JID)).toBe(true);
    expect(restrictions.established('6289999999999@s.whatsapp.net')).toBe(false);
    const other = await (await fixture().otherSession('shop')).open();
    other.write(restriction(Date.now() + HOUR));
    await stored(other);
    expect(other.established(JID)).toBe(false);
  });

  test('a restriction in force when the session opens comes with its established chats', async () => {
    const { records } = fixture().repo;
    await records.create('r1', { waMessageId: 'W1', status: 'sent', at: Date.now() - HOUR });
    const first = await fixture().repo.open();
    first.write(restriction(Date.now() + HOUR));
    await stored(first);
    const reopened = await (await fixture().reopen()).open();
    expect(reopened.established(JID)).toBe(true);
  });
});
