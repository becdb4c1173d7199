/**
 * The outbox on every store (the embedded SQLite file the gateway uses today, and the shared store
 * through Kysely on SQLite and on PostgreSQL): order, pacing, quotas, guarded moves, and exactly
 * once across a crash. Record-and-job atomicity, sessions and racing nodes: outbox-shared-store.test.ts.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { OutboxFullError, OutboxStateError, type OutboxJob } from '../../src/outbox/outbox-repository.js';
import { NO_PACING } from '../../src/outbox/pacing.js';
import { STORES, useRepository } from '../support/store-implementations.js';
import { A, B, image, outboxStores, text, type OutboxStore } from './outbox-stores.js';

/** A uniqueness violation, as SQLite and PostgreSQL word it. */
const UNIQUE = expect.stringMatching(/UNIQUE constraint failed|duplicate key value/);

describe.each(STORES)('the outbox on %s', (store) => {
  const fixture = useRepository<OutboxStore>(store, outboxStores);
  let outbox: OutboxStore['outbox'];
  beforeEach(() => {
    outbox = fixture().repo.outbox;
  });

  async function take(now = 1000): Promise<OutboxJob | null> {
    const ready = await outbox.nextReady(now, NO_PACING);
    return ready.job;
  }

  test('hands jobs out in FIFO order, one at a time per recipient, with their media', async () => {
    await outbox.enqueue(text('m1'));
    await outbox.enqueue(image('m2', 500));
    await outbox.enqueue(text('m3', B));

    const first = await take();
    expect(first).toMatchObject({ messageId: 'm1', status: 'queued', waMessageId: null });
    await outbox.markInFlight('m1', 'W1');
    // m2 is A's next message and must wait for m1; B's m3 may go meanwhile.
    expect((await take())?.messageId).toBe('m3');
    await outbox.complete('m1');
    const second = await take();
    expect(second).toMatchObject({
      messageId: 'm2',
      media: { path: '/spool/m2.jpg', bytes: 500, fileName: 'photo.jpg', mimetype: 'image/jpeg', caption: 'hi' },
    });
    expect(second?.options).toEqual({ viewOnce: false });
  });

  test('says whether a recipient still has a job to send, queued or in flight, and no longer once it settled', async () => {
    expect(await outbox.hasPendingFor(A)).toBe(false);
    await outbox.enqueue(text('m1'));
    expect(await outbox.hasPendingFor(A)).toBe(true);
    expect(await outbox.hasPendingFor(B)).toBe(false);
    await outbox.markInFlight('m1', 'W1');
    expect(await outbox.hasPendingFor(A)).toBe(true);
    await outbox.complete('m1');
    expect(await outbox.hasPendingFor(A)).toBe(false);
    await outbox.enqueue(text('m2', B));
    await outbox.fail('m2', 'not on WhatsApp');
    expect(await outbox.hasPendingFor(B)).toBe(false);
  });

  test('state moves are guarded', async () => {
    await outbox.enqueue(text('m1'));
    await expect(outbox.complete('m1')).rejects.toBeInstanceOf(OutboxStateError);
    await outbox.markInFlight('m1', 'W1');
    await expect(outbox.markInFlight('m1', 'W2')).rejects.toBeInstanceOf(OutboxStateError);
    await outbox.fail('m1', 'not on WhatsApp');
    await expect(outbox.complete('m1')).rejects.toThrow(/is failed/);
    expect(await outbox.get('m1')).toMatchObject({ status: 'failed', error: 'not on WhatsApp' });
    expect(await take()).toBeNull();
  });

  test('a transient failure puts the job back at the head of its queue, with its id, not before the given time', async () => {
    await outbox.enqueue(text('m1'));
    await outbox.enqueue(text('m2'));
    await outbox.markInFlight('m1', 'W1', 1000);
    await outbox.release('m1', 'connection closed', 5000);
    expect(await outbox.nextReady(2000, NO_PACING)).toEqual({ job: null, wakeAt: 5000 });
    const again = await outbox.nextReady(5000, NO_PACING);
    expect(again.job).toMatchObject({ messageId: 'm1', waMessageId: 'W1', attempts: 1, error: 'connection closed' });
    expect((await outbox.markInFlight('m1', 'W-other', 5000)).waMessageId).toBe('W1');
  });

  test('a send cut off by a lost connection does not use up an attempt', async () => {
    await outbox.enqueue(text('m1'));
    await outbox.markInFlight('m1', 'W1', 1000);
    await outbox.release('m1', 'connection lost', null, false);
    expect(await outbox.get('m1')).toMatchObject({ status: 'queued', attempts: 0 });
  });

  test('pacing holds jobs back (queueing, not failing) and says when to look again', async () => {
    const pacing = { perRecipientIntervalMs: 10_000, perMinuteLimit: 2 };
    await outbox.enqueue(text('a1', A));
    await outbox.enqueue(text('a2', A));
    await outbox.enqueue(text('b1', B));
    await outbox.enqueue(text('b2', B));

    const run = async (now: number) => {
      const ready = await outbox.nextReady(now, pacing);
      if (!ready.job) return ready.wakeAt;
      await outbox.markInFlight(ready.job.messageId, `W-${ready.job.messageId}`, now);
      await outbox.complete(ready.job.messageId, now);
      return ready.job.messageId;
    };
    expect(await run(0)).toBe('a1');
    expect(await run(1)).toBe('b1');
    // Two sends in the last minute: nothing until the first one ages out of the window.
    expect(await run(2)).toBe(60_000);
    expect(await run(60_000)).toBe('a2');
    expect(await run(60_001)).toBe('b2');
    // A's own interval would allow 70 000, but the account ceiling (a2, b2) holds until 120 000.
    await outbox.enqueue(text('a3', A));
    expect(await run(60_002)).toBe(120_000);
    expect(await run(120_000)).toBe('a3');
  });

  test('disk and job quotas refuse new jobs clearly, and count only what is still to send', async () => {
    await outbox.enqueue(image('m1', 6000), 1234);
    await expect(outbox.enqueue(image('m2', 5000))).rejects.toThrow(OutboxFullError);
    await expect(outbox.enqueue(image('m2', 5000))).rejects.toMatchObject({ reason: 'bytes', code: 'OUTBOX_FULL' });
    expect(await outbox.size()).toEqual({ jobs: 1, bytes: 6000, inFlight: 0, oldestAcceptedAt: 1234 });
    expect(await outbox.referencedMediaPaths()).toEqual(['/spool/m1.jpg']);

    await outbox.markInFlight('m1', 'W1');
    expect(await outbox.size()).toEqual({ jobs: 1, bytes: 6000, inFlight: 1, oldestAcceptedAt: 1234 });
    await outbox.complete('m1');
    expect(await outbox.size()).toEqual({ jobs: 0, bytes: 0, inFlight: 0, oldestAcceptedAt: null });
    await outbox.enqueue(image('m2', 5000));

    const small = fixture().repo.withLimits({ maxBytes: 1e9, maxJobs: 1 });
    await expect(small.enqueue(text('m3'))).rejects.toMatchObject({ reason: 'jobs', message: 'Outbox full: 1 of 1 messages already queued' });
  });

  test('purgeFinished drops old finished jobs and send history, never pending ones', async () => {
    await outbox.enqueue(text('m1'), 0);
    await outbox.enqueue(text('m2'), 0);
    await outbox.markInFlight('m1', 'W1', 0);
    await outbox.complete('m1', 10);
    expect(await outbox.recentSends(0)).toEqual([{ jid: A, at: 10 }]);
    expect(await outbox.purgeFinished(100)).toBe(1);
    expect(await outbox.get('m1')).toBeNull();
    expect(await outbox.get('m2')).not.toBeNull();
    expect(await outbox.recentSends(0)).toEqual([]);
  });

  test("a queued message's record is written with its job, and neither when either write fails or the outbox is full", async () => {
    const { messages } = fixture().repo;
    const record = (id: string) => ({
      id,
      waMessageId: `W-${id}`,
      phone: '6281111111111',
      jid: A,
      type: 'text' as const,
      text: `record ${id}`,
      status: 'queued' as const,
    });
    await outbox.enqueue({ ...text('r1'), waMessageId: 'W-r1' }, 1000, record('r1'));
    expect(await messages.get('r1')).toMatchObject({ status: 'queued', waMessageId: 'W-r1', summary: 'record r1' });
    expect(await outbox.get('r1')).toMatchObject({ status: 'queued', waMessageId: 'W-r1' });

    // The job's insert fails (one job per message): the record is not written either.
    // (Matched by message: better-sqlite3's native error class belongs to the realm of the first
    // test file that loaded it, so in a whole-suite run it is no `Error` of this file's and
    // `rejects.toThrow()` would say nothing was thrown.)
    await expect(outbox.enqueue(text('r1'), 1000, record('r2'))).rejects.toMatchObject({ message: UNIQUE });
    expect(await messages.get('r2')).toBeNull();
    // The record's insert fails after the job's (its id is taken): the job is undone.
    await expect(outbox.enqueue(text('j3'), 1000, record('r1'))).rejects.toMatchObject({ message: UNIQUE });
    expect(await outbox.get('j3')).toBeNull();
    // A full outbox writes neither (the caller keeps the refusal on a failed record of its own).
    const full = fixture().repo.withLimits({ maxBytes: 1e9, maxJobs: 1 });
    await expect(full.enqueue(text('j4'), 1000, record('r4'))).rejects.toBeInstanceOf(OutboxFullError);
    expect(await messages.get('r4')).toBeNull();
    expect(await outbox.size()).toEqual({ jobs: 1, bytes: 0, inFlight: 0, oldestAcceptedAt: 1000 });
    expect((await messages.list()).total).toBe(1);
  });

  /*
   * What the outbox worker does, against a fake WhatsApp that records every stanza it got, with
   * the process "killed" (database abandoned without another write) at the worst moment: after the
   * send left, before `complete` was committed.
   */
  test('after a crash an in-flight job is resent with the same WhatsApp id, in order, and nothing else is sent twice', async () => {
    const wire: { jid: string; waId: string; text: string }[] = [];
    let nextId = 1;
    const send = (job: OutboxJob) => wire.push({ jid: job.jid, waId: job.waMessageId!, text: job.text! });

    for (const id of ['m1', 'm2', 'm3']) await outbox.enqueue(text(id));

    // First run: m1 goes out fully, m2 goes out but the process dies before complete().
    for (const crashAfterSend of [false, true]) {
      const { job } = (await outbox.nextReady(Date.now(), NO_PACING)) as { job: OutboxJob };
      const inFlight = await outbox.markInFlight(job.messageId, `W${nextId++}`);
      send(inFlight);
      if (crashAfterSend) break;
      await outbox.complete(job.messageId);
    }

    // Second run: a fresh process on the same file.
    outbox = (await fixture().reopen()).outbox;
    const recovered = await outbox.recoverInFlight();
    expect(recovered.map((j) => [j.messageId, j.waMessageId])).toEqual([['m2', 'W2']]);
    for (;;) {
      const { job } = await outbox.nextReady(Date.now(), NO_PACING);
      if (!job) break;
      const inFlight = await outbox.markInFlight(job.messageId, `W${nextId++}`);
      send(inFlight);
      await outbox.complete(job.messageId);
    }

    expect(wire.map((w) => `${w.text}/${w.waId}`)).toEqual(['text of m1/W1', 'text of m2/W2', 'text of m2/W2', 'text of m3/W4']);
    // One WhatsApp id per message: the repeat of m2 is the same message to WhatsApp, not a second one.
    const idsPerMessage = new Map<string, Set<string>>();
    for (const w of wire) idsPerMessage.set(w.text, (idsPerMessage.get(w.text) ?? new Set()).add(w.waId));
    expect([...idsPerMessage.values()].map((ids) => ids.size)).toEqual([1, 1, 1]);
    expect(await outbox.size()).toEqual({ jobs: 0, bytes: 0, inFlight: 0, oldestAcceptedAt: null });
  });

  test('after a crash a recovered job whose receipt already arrived is completed without sending again', async () => {
    const { messages } = fixture().repo;
    const record = await messages.create({ phone: '6281111111111', jid: A, type: 'text', text: 'x', status: 'queued' });
    await outbox.enqueue(text(record.id));
    const job = await outbox.markInFlight(record.id, 'W1');
    await messages.setWaMessageId(record.id, job.waMessageId!);
    // Crash; after restart the recipient's delivery receipt for W1 arrives.
    const after = await fixture().reopen();
    const [recovered] = await after.outbox.recoverInFlight();
    await after.messages.markStatus('W1', 'delivered');

    const proof = await after.messages.getByWaId(recovered!.waMessageId!);
    expect(proof?.status).toBe('delivered');
    const outbox2 = after.outbox;
    await outbox2.markInFlight(recovered!.messageId, 'unused');
    expect(await outbox2.complete(recovered!.messageId)).toMatchObject({ status: 'sent', waMessageId: 'W1' });
  });
});
