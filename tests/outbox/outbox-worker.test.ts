import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { MediaSpool } from '../../src/outbox/media-spool.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import type { OutboxJob } from '../../src/outbox/outbox-repository.js';
import { SqliteOutboxRepository } from '../../src/outbox/sqlite-outbox-repository.js';
import { OutboxWorker, type OutboxOutcome, type OutboxSender } from '../../src/outbox/outbox-worker.js';
import { NO_PACING, type PacingPolicy } from '../../src/outbox/pacing.js';
import { waitFor } from '../webhooks/receiver.js';
import { tempDatabase } from '../store/temp-db.js';

const A = '6281111111111@s.whatsapp.net';
const B = '6282222222222@s.whatsapp.net';
const LIMITS = { maxBytes: 1e9, maxJobs: 1000 };

/** A fake WhatsApp: records every stanza; can drop the connection or hang forever on a chosen text. */
class FakeWhatsApp implements OutboxSender {
  connected = true;
  wire: { text: string; waId: string; at: number }[] = [];
  hangOn: string | null = null;
  failOn: string | null = null;
  private counter = 0;
  isConnected() {
    return this.connected;
  }
  newMessageId() {
    return `3EB0${String(++this.counter).padStart(4, '0')}`;
  }
  async send(job: OutboxJob, waMessageId: string) {
    if (!this.connected) throw new Error('Connection Closed');
    if (job.text === this.failOn) {
      this.connected = false;
      throw new Error('Connection Closed');
    }
    this.wire.push({ text: job.text ?? '', waId: waMessageId, at: Date.now() });
    if (job.text === this.hangOn) await new Promise(() => undefined);
  }
}

describe('OutboxWorker', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let whatsapp: FakeWhatsApp;
  const workers: OutboxWorker[] = [];

  beforeEach(() => {
    tmp = tempDatabase('wa-worker-');
    whatsapp = new FakeWhatsApp();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) if (w !== crashed) await w.stop();
    tmp.cleanup();
  });
  let crashed: OutboxWorker | null = null;

  function setup(pacing: PacingPolicy = NO_PACING) {
    const messages = new SqliteMessageRepository(tmp.db);
    const outbox = new SqliteOutboxRepository(tmp.db, LIMITS);
    const settled: OutboxOutcome[] = [];
    const worker = new OutboxWorker({ outbox, messages, sender: whatsapp, pacing, retryDelayMs: 20, onSettled: (o) => void settled.push(o) });
    workers.push(worker);
    const accept = async (text: string) => {
      const record = await messages.create({ phone: '6281111111111', jid: A, type: 'text', text, status: 'queued' });
      await outbox.enqueue({ messageId: record.id, jid: A, kind: 'text', text });
      worker.kick();
      return record;
    };
    return { messages, outbox, worker, settled, accept };
  }

  test('sends queued messages in order once connected, and records their WhatsApp ids and status', async () => {
    whatsapp.connected = false;
    const { messages, worker, settled, accept } = setup();
    await worker.start();
    const records = [await accept('one'), await accept('two'), await accept('three')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(whatsapp.wire).toEqual([]);

    whatsapp.connected = true;
    worker.kick();
    await waitFor(() => settled.length === 3);
    expect(whatsapp.wire.map((w) => w.text)).toEqual(['one', 'two', 'three']);
    const stored = await messages.get(records[0]!.id);
    expect(stored).toMatchObject({ status: 'sent', waMessageId: whatsapp.wire[0]!.waId });
  });

  test('a kill -9 mid-send: after restart the job is resent under the same id, then the rest, each exactly once', async () => {
    whatsapp.hangOn = 'two';
    const first = setup();
    await first.worker.start();
    await first.accept('one');
    await first.accept('two');
    await first.accept('three');
    await waitFor(() => whatsapp.wire.length === 2);
    // The process dies: no stop(), no further writes; a new process opens the same file.
    crashed = first.worker;
    whatsapp.hangOn = null;
    tmp.reopen();

    const second = setup();
    await second.worker.start();
    await waitFor(() => second.settled.length === 2);
    expect(whatsapp.wire.map((w) => `${w.text}/${w.waId}`)).toEqual(['one/3EB00001', 'two/3EB00002', 'two/3EB00002', 'three/3EB00003']);
    expect(await second.outbox.size()).toEqual({ jobs: 0, bytes: 0, inFlight: 0, oldestAcceptedAt: null });
  });

  test('a kill -9 after WhatsApp took the message: a receipt proves it, so it is not sent again', async () => {
    whatsapp.hangOn = 'two';
    const first = setup();
    await first.worker.start();
    await first.accept('one');
    const two = await first.accept('two');
    await waitFor(() => whatsapp.wire.length === 2);
    crashed = first.worker;
    whatsapp.hangOn = null;
    tmp.reopen();

    const second = setup();
    // Offline receipts arrive on reconnect, before the outbox resumes.
    await second.messages.markStatus('3EB00002', 'delivered');
    await second.worker.start();
    await waitFor(() => second.settled.length === 1);
    expect(whatsapp.wire.map((w) => w.text)).toEqual(['one', 'two']);
    expect(await second.messages.get(two.id)).toMatchObject({ status: 'delivered' });
  });

  test('a send that fails because the connection dropped waits for the reconnect instead of failing', async () => {
    whatsapp.failOn = 'two';
    const { messages, worker, settled, accept } = setup();
    await worker.start();
    await accept('one');
    const two = await accept('two');
    await waitFor(() => settled.length === 1 && !whatsapp.connected);
    expect((await messages.get(two.id))?.status).toBe('queued');

    whatsapp.failOn = null;
    whatsapp.connected = true;
    worker.kick();
    await waitFor(() => settled.length === 2);
    expect(whatsapp.wire.map((w) => w.text)).toEqual(['one', 'two']);
  });

  test('a job another node took between choosing and marking it is skipped, not failed; the drain goes on', async () => {
    const messages = new SqliteMessageRepository(tmp.db);
    const outbox = new SqliteOutboxRepository(tmp.db, LIMITS);
    // The other node (the session's driver before a handover) marks the job in flight just after
    // this worker chose it: the same database, the same rows, reached through the repository.
    let taken: string | undefined;
    const racing = new Proxy(outbox, {
      get(target, prop, receiver) {
        if (prop === 'nextReady')
          return async (...args: Parameters<SqliteOutboxRepository['nextReady']>) => {
            const ready = await target.nextReady(...args);
            if (ready.job && !taken) {
              taken = ready.job.messageId;
              await target.markInFlight(ready.job.messageId, 'OTHERNODE1', Date.now());
            }
            return ready;
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const settled: OutboxOutcome[] = [];
    // An hour between retries: only the skip, not a retry after a drain error, sends the second job now.
    const worker = new OutboxWorker({
      outbox: racing,
      messages,
      sender: whatsapp,
      pacing: NO_PACING,
      retryDelayMs: 3_600_000,
      onSettled: (o) => void settled.push(o),
    });
    workers.push(worker);
    const one = await messages.create({ phone: '6281111111111', jid: A, type: 'text', text: 'one', status: 'queued' });
    await outbox.enqueue({ messageId: one.id, jid: A, kind: 'text', text: 'one' });
    const two = await messages.create({ phone: '6282222222222', jid: B, type: 'text', text: 'two', status: 'queued' });
    await outbox.enqueue({ messageId: two.id, jid: B, kind: 'text', text: 'two' });
    await worker.start();
    await waitFor(() => settled.length === 1);
    expect(taken).toBe(one.id);
    expect(whatsapp.wire.map((w) => w.text)).toEqual(['two']);
    expect(settled[0]).toMatchObject({ result: 'sent', job: { messageId: two.id } });
    // The taken job is the other node's: still in flight under its id, its record not failed.
    expect(await outbox.get(one.id)).toMatchObject({ status: 'in_flight', waMessageId: 'OTHERNODE1' });
    expect((await messages.get(one.id))?.status).toBe('queued');
  });

  test('pacing queues instead of failing: the second message to a recipient waits its interval', async () => {
    const { worker, settled, accept } = setup({ perRecipientIntervalMs: 80, perMinuteLimit: 0 });
    await worker.start();
    await accept('one');
    await accept('two');
    await waitFor(() => settled.length === 2);
    expect(whatsapp.wire[1]!.at - whatsapp.wire[0]!.at).toBeGreaterThanOrEqual(70);
  });
});

describe('MediaSpool', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  afterEach(() => tmp.cleanup());

  test('adopts uploads under random names and sweeps files no pending job refers to', async () => {
    tmp = tempDatabase('wa-spool-');
    const spool = new MediaSpool(join(tmp.dir, 'outbox'));
    const upload = join(tmp.dir, 'upload.tmp');
    writeFileSync(upload, Buffer.alloc(1234));
    const kept = await spool.adopt(upload, 'Holiday Photo.JPG');
    expect(kept.bytes).toBe(1234);
    expect(kept.path).toMatch(/outbox\/[0-9a-f-]{36}\.jpg$/);
    expect(existsSync(upload)).toBe(false);

    writeFileSync(upload, 'x');
    const orphan = await spool.adopt(upload, 'doc.pdf');
    expect(await spool.sweepOrphans([kept.path])).toEqual([orphan.path]);
    expect(existsSync(kept.path)).toBe(true);
    await spool.remove(kept.path);
    expect(existsSync(kept.path)).toBe(false);
    expect(await new MediaSpool(join(tmp.dir, 'none')).sweepOrphans([])).toEqual([]);
  });
});
