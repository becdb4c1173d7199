/**
 * Edit and delete links on every store (the embedded SQLite file and the shared store through
 * Kysely on SQLite and on PostgreSQL): a change is visible once its action record exists, its state
 * follows that record's status, purging the target drops it, orphans are purged after a while.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { KyselyMessageChangeRepository } from '../../src/changes/kysely-message-change-repository.js';
import { SqliteMessageChangeRepository, type MessageChangeRepository } from '../../src/changes/message-change-repository.js';
import { embeddedRecords, sharedRecords, type TestRecords } from '../support/message-records.js';
import { STORES, useRepository } from '../support/store-implementations.js';

interface Subject {
  changes: MessageChangeRepository;
  records: TestRecords;
}

const HOUR = 60 * 60 * 1000;

describe.each(STORES)('message changes on %s', (store) => {
  const fixture = useRepository<Subject>(store, {
    embedded: (db) => ({ changes: new SqliteMessageChangeRepository(db), records: embeddedRecords(db) }),
    shared: (db, session) => ({ changes: new KyselyMessageChangeRepository(db, session), records: sharedRecords(db, session) }),
  });
  let changes: MessageChangeRepository;
  let records: TestRecords;
  beforeEach(() => {
    ({ changes, records } = fixture().repo);
  });

  test('a change shows once its action record exists, oldest first, with the state of that record', async () => {
    await records.create('target', { waMessageId: 'WA_T', status: 'sent', at: 1000 });
    await changes.add({ actionId: 'edit-1', targetId: 'target', kind: 'edit', text: 'first', at: new Date(2000) });
    await changes.add({ actionId: 'edit-2', targetId: 'target', kind: 'edit', text: 'second', at: new Date(3000) });
    await changes.add({ actionId: 'delete-1', targetId: 'target', kind: 'delete', text: null, at: new Date(3000) });
    expect(await changes.forTarget('target')).toEqual([]);
    expect(await changes.byAction('edit-1')).toBeNull();

    await records.create('edit-2', { waMessageId: 'WA_E2', status: 'sent', at: 3000 });
    await records.create('edit-1', { status: 'queued', at: 2000 });
    await records.create('delete-1', { status: 'queued', at: 3000 });
    await records.fail('delete-1');
    // By time, then by the action record's order (delete-1's record came after edit-2's).
    expect(await changes.forTarget('target')).toEqual([
      {
        actionId: 'edit-1',
        targetId: 'target',
        kind: 'edit',
        text: 'first',
        createdAt: new Date(2000).toISOString(),
        state: 'pending',
        appliedAt: null,
        actionMessageId: null,
      },
      {
        actionId: 'edit-2',
        targetId: 'target',
        kind: 'edit',
        text: 'second',
        createdAt: new Date(3000).toISOString(),
        state: 'applied',
        appliedAt: new Date(3000).toISOString(),
        actionMessageId: 'WA_E2',
      },
      {
        actionId: 'delete-1',
        targetId: 'target',
        kind: 'delete',
        text: null,
        createdAt: new Date(3000).toISOString(),
        state: 'failed',
        appliedAt: null,
        actionMessageId: null,
      },
    ]);
    expect(await changes.byAction('edit-2')).toMatchObject({ targetId: 'target', state: 'applied' });
    expect(await changes.byAction('target')).toBeNull();
    // Purging the target drops its changes.
    await records.remove('target');
    expect(await changes.forTarget('target')).toEqual([]);
    expect(await changes.byAction('edit-2')).toBeNull();
  });

  test('a link whose action record never came is dropped after a while; a fresh one and a complete one stay', async () => {
    const now = Date.now();
    await records.create('target', { status: 'sent', at: now - 3 * HOUR });
    await records.create('done', { status: 'sent', at: now - 2 * HOUR });
    await changes.add({ actionId: 'crashed', targetId: 'target', kind: 'edit', text: 'lost', at: new Date(now - 2 * HOUR) });
    await changes.add({ actionId: 'in-progress', targetId: 'target', kind: 'edit', text: 'coming', at: new Date(now - 1000) });
    await changes.add({ actionId: 'done', targetId: 'target', kind: 'edit', text: 'kept', at: new Date(now - 2 * HOUR) });
    expect(await changes.purgeOrphans(now - HOUR)).toBe(1);
    await records.create('in-progress', { status: 'queued', at: now });
    expect((await changes.forTarget('target')).map((c) => c.actionId)).toEqual(['done', 'in-progress']);
  });

  test("sessions do not see each other's changes; an action id may exist in each", async () => {
    const sales = await fixture().otherSession('sales');
    await records.create('target', { status: 'sent', at: 1000 });
    await records.create('action', { status: 'sent', at: 2000 });
    await changes.add({ actionId: 'action', targetId: 'target', kind: 'edit', text: 'mine', at: new Date(2000) });
    expect(await sales.changes.byAction('action')).toBeNull();
    await sales.records.create('target', { status: 'sent', at: 1000 });
    await sales.changes.add({ actionId: 'action', targetId: 'target', kind: 'delete', text: null, at: new Date(Date.now() - 2 * HOUR) });
    // Their link has no action record in their session (ours does not count): an orphan there only.
    expect(await changes.purgeOrphans(Date.now())).toBe(0);
    expect(await sales.changes.purgeOrphans(Date.now())).toBe(1);
    expect(await changes.forTarget('target')).toMatchObject([{ actionId: 'action', kind: 'edit', text: 'mine' }]);
    await sales.records.remove('target');
    expect(await changes.byAction('action')).toMatchObject({ text: 'mine' });
  });
});
