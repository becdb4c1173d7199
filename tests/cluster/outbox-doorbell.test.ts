/**
 * The doorbell's `resync` path on a throwaway PostgreSQL: a routed send waiting for its result while
 * the listening connection is killed reads its record when the connection is back, and, when the
 * job has not settled yet, keeps waiting for the rest of its bound instead of answering 202 at once;
 * the driver's workers are told to look again. The end-to-end case (two gateway nodes, both
 * listeners killed before a routed send) is in tests/e2e/cluster-routing.test.ts. A result NOTIFY
 * ends only its own wait; when shutdown begins every wait ends at once (and a new one does not
 * wait), so a stopping node's HTTP drain is not held by other nodes' acks.
 */
import pg from 'pg';
import { pino } from 'pino';
import { LISTENER_APPLICATION_NAME, Notifier } from '../../src/cluster/notify.js';
import { OutboxDoorbell } from '../../src/cluster/outbox-doorbell.js';
import { routedSend } from '../../src/messaging/send-routing.js';
import { OUTBOX_RESULT_CHANNEL } from '../../src/outbox/kysely-outbox-repository.js';
import type { MessageStatus } from '../../src/domain/vocabulary.js';
import type { MessageRecord } from '../../src/records/message-repository.js';
import { sleep, useTestDatabases } from '../support/cluster-databases.js';

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** The record the accepting node reads back: only its status matters to the answer. */
function recordWith(id: string, status: MessageStatus): MessageRecord {
  const at = new Date(0).toISOString();
  return {
    id,
    waMessageId: 'WA1',
    phone: '6281111111111',
    jid: '6281111111111@s.whatsapp.net',
    type: 'text',
    summary: 'hi',
    fileName: null,
    status,
    error: null,
    createdAt: at,
    updatedAt: at,
    queuedAt: at,
    sentAt: null,
    deliveredAt: null,
    readAt: null,
    failedAt: null,
  };
}

describe('the outbox doorbell on postgres', () => {
  const dbs = useTestDatabases('postgres');
  const notifiers: Notifier[] = [];
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.close()));
  });

  test('a routed send whose listener is lost reads its record on resync and, not settled yet, still gets its result within the bound', async () => {
    const target = await dbs.freshTarget();
    const url = 'databaseUrl' in target ? target.databaseUrl : '';
    const listener = new Notifier(url, { reconnectDelayMs: 50 });
    const driver = new Notifier(url, { reconnectDelayMs: 50 });
    notifiers.push(listener, driver);
    let resyncs = 0;
    const doorbell = new OutboxDoorbell({ notifier: listener, onEnqueued: () => {}, onResync: () => (resyncs += 1), logger: pino({ level: 'silent' }) });
    await doorbell.start();
    // A bound far beyond the test: the answer must come from the result, not from the bound.
    const routing = doorbell.routing(() => false, 60_000);

    let status: MessageStatus = 'queued';
    let reads = 0;
    const ids = { id: 'record-1', messageId: 'WA1' };
    const answer = routedSend(routing, ids, {
      enqueue: async () => {},
      record: async () => {
        reads += 1;
        return recordWith(ids.id, status);
      },
    });

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [LISTENER_APPLICATION_NAME]);
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // Back and resynced: the waiting send read its record (still queued) and the workers were told.
    await until(() => resyncs === 1 && reads === 1);
    status = 'sent';
    await driver.notify(OUTBOX_RESULT_CHANNEL, ids.id);
    await expect(answer).resolves.toEqual({ ...ids, status: 'sent' });
  });

  async function plainDoorbell(waitMs: number) {
    const target = await dbs.freshTarget();
    const url = 'databaseUrl' in target ? target.databaseUrl : '';
    const listener = new Notifier(url, { reconnectDelayMs: 50 });
    const owner = new Notifier(url, { reconnectDelayMs: 50 });
    notifiers.push(listener, owner);
    const bell = new OutboxDoorbell({ notifier: listener, onEnqueued: () => {}, onResync: () => {}, logger: pino({ level: 'silent' }) });
    await bell.start();
    return { bell, owner, routing: bell.routing(() => false, waitMs) };
  }
  /** Whether the wait ended well before its 60 s bound. */
  const ended = (done: Promise<unknown>) => Promise.race([done.then(() => true), sleep(15_000).then(() => false)]);

  test("the owner's result NOTIFY ends the wait for that message only", async () => {
    const { owner, routing } = await plainDoorbell(60_000);
    const mine = routing.settled('msg-1', 60_000);
    const other = routing.settled('msg-2', 60_000);
    await owner.notify(OUTBOX_RESULT_CHANNEL, 'msg-1');
    expect(await ended(mine.done)).toBe(true);
    other.cancel();
  });

  test('shutdown ends every wait at once, and later waits do not wait', async () => {
    const { bell, routing } = await plainDoorbell(60_000);
    const waits = ['a', 'b', 'c'].map((id) => routing.settled(id, 60_000));
    bell.endWaits();
    expect(await Promise.all(waits.map((w) => ended(w.done)))).toEqual([true, true, true]);
    expect(await ended(routing.settled('d', 60_000).done)).toBe(true);
  });
});
