/**
 * Polls we sent and their votes on every store, through PollStore as the gateway awaits it (the
 * embedded SQLite file, whose SqlitePollRepository answers synchronously, and the shared store
 * through Kysely on SQLite and on PostgreSQL): one poll per record with its secret bytes, each voter's latest vote, the tally,
 * orphans purged, sessions kept apart.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { KyselyPollRepository } from '../../src/kinds/kysely-poll-repository.js';
import { SqlitePollRepository } from '../../src/kinds/poll-repository.js';
import type { PollStore } from '../../src/kinds/poll-store.js';
import { embeddedRecords, sharedRecords, type TestRecords } from '../support/message-records.js';
import { STORES, useRepository } from '../support/store-implementations.js';

interface Subject {
  polls: PollStore;
  records: TestRecords;
}

const HOUR = 60 * 60 * 1000;
const SECRET = new Uint8Array([0, 1, 2, 253, 254, 255, ...Array.from({ length: 26 }, (_, i) => i * 7)]);
const poll = (recordId: string, secret = SECRET) => ({
  recordId,
  question: 'Kapan?',
  options: ['Senin', 'Selasa', 'Rabu'],
  selectableCount: 2,
  messageSecret: secret,
});
const PHONE = '6281234567890@s.whatsapp.net';
const LID = '123456789012345@lid';

describe.each(STORES)('polls on %s', (store) => {
  const fixture = useRepository<Subject>(store, {
    embedded: (db) => ({ polls: new SqlitePollRepository(db), records: embeddedRecords(db) }),
    shared: (db, session) => ({ polls: new KyselyPollRepository(db, session), records: sharedRecords(db, session) }),
  });
  let polls: PollStore;
  let records: TestRecords;
  beforeEach(() => {
    ({ polls, records } = fixture().repo);
  });

  test('kept once per record with its secret bytes; found by the WhatsApp id of its record', async () => {
    await polls.save(poll('P1'), 1000);
    // A retry of the same request keeps the first poll and secret.
    await polls.save({ ...poll('P1', new Uint8Array(32)), question: 'other' }, 2000);
    expect(await polls.get('P1')).toEqual(poll('P1'));
    expect(await polls.byWaMessageId('WA_P1')).toBeUndefined();
    await records.create('P1', { waMessageId: 'WA_P1', status: 'sent', at: 1000 });
    expect(await polls.byWaMessageId('WA_P1')).toEqual(poll('P1'));
    expect(await polls.find('WA_P1')).toEqual({ options: ['Senin', 'Selasa', 'Rabu'], messageSecret: SECRET });
    expect(await polls.find('WA_OTHER')).toBeUndefined();
    expect(await polls.get('missing')).toBeUndefined();
  });

  test("each voter's latest vote counts, a late older one does not; ids merge; taken-back votes leave the voters", async () => {
    await polls.save(poll('P1'), 1000);
    expect(await polls.tally('missing')).toBeNull();
    await polls.recordVote({ recordId: 'P1', voter: PHONE, voterPhone: PHONE, voterLid: null, options: ['Senin'], at: 5000 });
    await polls.recordVote({ recordId: 'P1', voter: PHONE, voterPhone: null, voterLid: LID, options: ['Selasa', 'Rabu'], at: 6000 });
    await polls.recordVote({ recordId: 'P1', voter: PHONE, voterPhone: null, voterLid: null, options: ['Senin'], at: 5500 });
    await polls.recordVote({ recordId: 'P1', voter: 'other@lid', voterPhone: null, voterLid: 'other@lid', options: ['Rabu'], at: 4000 });
    await polls.recordVote({ recordId: 'P1', voter: 'gone@lid', voterPhone: null, voterLid: 'gone@lid', options: ['Senin'], at: 3000 });
    await polls.recordVote({ recordId: 'P1', voter: 'gone@lid', voterPhone: null, voterLid: 'gone@lid', options: [], at: 3000 });
    expect(await polls.tally('P1')).toEqual({
      question: 'Kapan?',
      options: [
        { name: 'Senin', votes: 0 },
        { name: 'Selasa', votes: 1 },
        { name: 'Rabu', votes: 2 },
      ],
      voters: [
        { phone: null, lid: 'other@lid', options: ['Rabu'], voted_at: new Date(4000).toISOString() },
        { phone: PHONE, lid: LID, options: ['Selasa', 'Rabu'], voted_at: new Date(6000).toISOString() },
      ],
    });
  });

  test('polls whose record is gone are purged with their votes once old enough', async () => {
    const now = Date.now();
    await polls.save(poll('KEPT'), now - 2 * HOUR);
    await records.create('KEPT', { waMessageId: 'WA_KEPT', status: 'sent', at: now - 2 * HOUR });
    await polls.save(poll('ORPHAN'), now - 2 * HOUR);
    await polls.save(poll('YOUNG'), now - 1000);
    for (const recordId of ['KEPT', 'ORPHAN'])
      await polls.recordVote({ recordId, voter: PHONE, voterPhone: PHONE, voterLid: null, options: ['Senin'], at: now });
    expect(await polls.purgeOrphans(now - HOUR)).toBe(1);
    expect(await polls.get('ORPHAN')).toBeUndefined();
    expect(await polls.get('YOUNG')).toBeDefined();
    expect((await polls.tally('KEPT'))!.voters).toHaveLength(1);
    // A vote on a purged poll does not come back with a poll of the same id.
    await polls.save(poll('ORPHAN'), now);
    expect((await polls.tally('ORPHAN'))!.voters).toEqual([]);
  });

  test("sessions do not see each other's polls or votes", async () => {
    const sales = await fixture().otherSession('sales');
    const now = Date.now();
    await polls.save(poll('P1'), now - 2 * HOUR);
    await records.create('P1', { waMessageId: 'WA_P1', status: 'sent', at: now - 2 * HOUR });
    expect(await sales.polls.get('P1')).toBeUndefined();
    expect(await sales.polls.find('WA_P1')).toBeUndefined();
    await sales.polls.save({ ...poll('P1', new Uint8Array(32)), question: 'Di mana?' }, now - 2 * HOUR);
    await sales.polls.recordVote({ recordId: 'P1', voter: PHONE, voterPhone: PHONE, voterLid: null, options: ['Senin'], at: now });
    await polls.recordVote({ recordId: 'P1', voter: PHONE, voterPhone: PHONE, voterLid: null, options: ['Rabu'], at: now - 1 });
    expect(await polls.tally('P1')).toMatchObject({ question: 'Kapan?', voters: [{ options: ['Rabu'] }] });
    // Their poll has no record in their session (ours does not count).
    expect(await polls.purgeOrphans(now)).toBe(0);
    expect(await sales.polls.purgeOrphans(now)).toBe(1);
    expect(await polls.get('P1')).toEqual(poll('P1'));
    expect((await polls.tally('P1'))!.voters).toHaveLength(1);
  });
});
