/**
 * The outbox where several sessions share one database, and where two nodes reach one session's
 * rows at once (two connections to one database): a job goes in flight for exactly one of them, a
 * drained queue sends every job once and in order per recipient, and the quota holds under
 * concurrent enqueues.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { OutboxFullError, OutboxStateError, type OutboxJob, type OutboxRepository } from '../../src/outbox/outbox-repository.js';
import { NO_PACING } from '../../src/outbox/pacing.js';
import { STORES, useRepository } from '../support/store-implementations.js';
import { A, B, outboxStores, text, type OutboxStore } from './outbox-stores.js';

const recipient = (i: number) => `62800000000${String(i).padStart(2, '0')}@s.whatsapp.net`;

describe.each(STORES)('the outbox on %s, shared', (store) => {
  const fixture = useRepository<OutboxStore>(store, outboxStores);
  let outbox: OutboxRepository;
  beforeEach(() => {
    outbox = fixture().repo.outbox;
  });

  test('two sessions in one database keep their own queues, usage, pacing history, recovery and purge', async () => {
    const sales = (await fixture().otherSession('sales')).outbox;
    // The same message and WhatsApp ids in both: unique per session, not across them.
    await outbox.enqueue({ ...text('m1'), waMessageId: 'W1' }, 1000);
    await sales.enqueue({ ...text('m1'), waMessageId: 'W1' }, 2000);
    await sales.enqueue(text('m2', B), 2000);
    await outbox.markInFlight('m1', 'W1', 1000);

    expect((await sales.nextReady(3000, NO_PACING)).job).toMatchObject({ messageId: 'm1', status: 'queued', createdAt: 2000 });
    expect(await outbox.size()).toEqual({ jobs: 1, bytes: 0, inFlight: 1, oldestAcceptedAt: 1000 });
    expect(await sales.size()).toEqual({ jobs: 2, bytes: 0, inFlight: 0, oldestAcceptedAt: 2000 });

    // One session's send does not pace the other's messages to the same recipient.
    await outbox.complete('m1', 3000);
    expect(await sales.recentSends(0)).toEqual([]);
    expect((await sales.nextReady(3001, { perRecipientIntervalMs: 60_000, perMinuteLimit: 0 })).job?.messageId).toBe('m1');

    await sales.markInFlight('m1', 'W1', 3001);
    expect(await outbox.recoverInFlight()).toEqual([]);
    expect(await sales.get('m1')).toMatchObject({ status: 'in_flight' });
    expect(await sales.purgeFinished(10_000)).toBe(0);
    expect(await outbox.purgeFinished(10_000)).toBe(1);
    expect(await sales.get('m1')).toMatchObject({ status: 'in_flight', waMessageId: 'W1' });
    expect((await sales.recoverInFlight()).map((j) => j.messageId)).toEqual(['m1']);
  });

  test('two nodes taking the same job: exactly one moves it in flight, the other is refused', async () => {
    const other = (await fixture().connect()).outbox;
    for (let i = 0; i < 10; i++) await outbox.enqueue(text(`m${i}`, recipient(i)), 1000);
    for (let i = 0; i < 10; i++) {
      const seen = await Promise.all([outbox.nextReady(1000, NO_PACING), other.nextReady(1000, NO_PACING)]);
      expect(seen.map((r) => r.job?.messageId)).toEqual([`m${i}`, `m${i}`]);
      const results = await Promise.allSettled([outbox.markInFlight(`m${i}`, `WA${i}`, 1000), other.markInFlight(`m${i}`, `WB${i}`, 1000)]);
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(refused).toEqual([expect.any(OutboxStateError)]);
      expect(await outbox.get(`m${i}`)).toMatchObject({ status: 'in_flight', attempts: 1, waMessageId: won[0]!.waMessageId });
    }
  });
});

/*
 * Two connections each running a worker-like loop at once. Not on the shared store's SQLite: that
 * one is one node's store with one connection, and better-sqlite3 waits for another connection's
 * lock synchronously, which would stall the very transaction holding it.
 */
describe.each(STORES.filter((s) => s !== 'Kysely on sqlite'))('the outbox on %s, two nodes at once', (store) => {
  const fixture = useRepository<OutboxStore>(store, outboxStores);

  test('two nodes draining one session send every job exactly once, in order per recipient', async () => {
    const nodes = [fixture().repo.outbox, (await fixture().connect()).outbox];
    const ids = Array.from({ length: 24 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await nodes[0]!.enqueue(text(id, [A, B, recipient(3)][i % 3]), 1000);

    const sent: OutboxJob[] = [];
    const drain = async (node: OutboxRepository) => {
      while ((await node.size()).jobs > 0) {
        const { job } = await node.nextReady(Date.now(), NO_PACING);
        if (!job) {
          // Everything left waits behind the other node's job in flight.
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        const taken = await node.markInFlight(job.messageId, `W-${job.messageId}`).catch((error: unknown) => {
          if (error instanceof OutboxStateError) return null; // the other node took it
          throw error;
        });
        if (!taken) continue;
        sent.push(taken);
        await node.complete(taken.messageId);
      }
    };
    await Promise.all(nodes.map(drain));

    expect(sent.map((j) => j.messageId).sort()).toEqual(ids);
    for (const jid of [A, B, recipient(3)]) {
      const order = sent.filter((j) => j.jid === jid).map((j) => j.messageId);
      expect(order).toEqual([...order].sort());
    }
    expect((await nodes[0]!.recentSends(0)).length).toBe(ids.length);
  });

  test('concurrent enqueues from two nodes never take the outbox past its quota', async () => {
    const limits = { maxBytes: 1e9, maxJobs: 5 };
    const nodes = [fixture().repo.withLimits(limits), (await fixture().connect()).withLimits(limits)];
    // Warm each node's connections first, so the enqueues below overlap rather than wait for a connect.
    await Promise.all(nodes.flatMap((node) => Array.from({ length: 10 }, () => node.size())));
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => nodes[i % 2]!.enqueue(text(`q${i}`, recipient(i)))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OutboxFullError);
    expect((await nodes[0]!.size()).jobs).toBe(5);
  });
});
