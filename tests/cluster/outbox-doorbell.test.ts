/**
 * A routed send's wait for its owner's result, on a real Notifier over a throwaway PostgreSQL:
 * the result NOTIFY ends it, and when shutdown begins every wait ends at once (and a new one does
 * not wait), so a stopping node's HTTP drain is not held by other nodes' acks.
 */
import pino from 'pino';
import { OutboxDoorbell } from '../../src/cluster/outbox-doorbell.js';
import { Notifier } from '../../src/cluster/notify.js';
import { OUTBOX_RESULT_CHANNEL } from '../../src/outbox/kysely-outbox-repository.js';
import { useTestDatabases } from '../support/cluster-databases.js';

const LONG_MS = 60_000;

describe('outbox doorbell: routed waits', () => {
  const dbs = useTestDatabases('postgres');
  const notifiers: Notifier[] = [];
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.close()));
  });

  async function doorbell() {
    const target = await dbs.freshTarget();
    const url = 'databaseUrl' in target ? target.databaseUrl : '';
    const listener = new Notifier(url, { reconnectDelayMs: 50 });
    const owner = new Notifier(url, { reconnectDelayMs: 50 });
    notifiers.push(listener, owner);
    const bell = new OutboxDoorbell({ notifier: listener, onEnqueued: () => {}, onResync: () => {}, logger: pino({ level: 'silent' }) });
    await bell.start();
    return { bell, owner, routing: bell.routing(() => false, LONG_MS) };
  }

  const ended = (done: Promise<void>) => Promise.race([done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);

  test("the owner's result NOTIFY ends the wait for that message only", async () => {
    const { owner, routing } = await doorbell();
    const mine = routing.settled('msg-1', LONG_MS);
    const other = routing.settled('msg-2', LONG_MS);
    await owner.notify(OUTBOX_RESULT_CHANNEL, 'msg-1');
    expect(await ended(mine.done)).toBe(true);
    other.cancel();
  });

  test('shutdown ends every wait at once, and later waits do not wait', async () => {
    const { bell, routing } = await doorbell();
    const waits = ['a', 'b', 'c'].map((id) => routing.settled(id, LONG_MS));
    bell.endWaits();
    expect(await Promise.all(waits.map((w) => ended(w.done)))).toEqual([true, true, true]);
    expect(await ended(routing.settled('d', LONG_MS).done)).toBe(true);
  });
});
