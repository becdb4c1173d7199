/**
 * Media kept in the shared store with its outbox job (a media send accepted by a node that does
 * not drive the session): written in the job's transaction (nothing when the job or its record is
 * refused), read back as stored, and gone in the same transaction that settles the job, sent or
 * failed, so a crash at any point leaves no bytes without a pending job. The driving node sends
 * them from a spool file that lasts as long as the send. The embedded store, one node's, refuses
 * such a job.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { MediaSpool } from '../../src/outbox/media-spool.js';
import { sendQueuedContent, StoredMediaMissingError } from '../../src/outbox/stored-media.js';
import { OutboxFullError } from '../../src/outbox/outbox-repository.js';
import { NO_PACING } from '../../src/outbox/pacing.js';
import type { NewMessage } from '../../src/records/message-repository.js';
import { STORES, useRepository } from '../support/store-implementations.js';
import { A, LIMITS, outboxStores, storedImage, text, type OutboxStore } from './outbox-stores.js';

const record = (id: string): NewMessage => ({
  id,
  waMessageId: `W-${id}`,
  phone: '6281111111111',
  jid: A,
  type: 'image',
  fileName: 'photo.jpg',
  status: 'queued',
});

describe.each(STORES.filter((s) => s !== 'embedded SQLite'))('media kept with its job on %s', (store) => {
  const fixture = useRepository<OutboxStore>(store, outboxStores);
  let repo: OutboxStore;
  beforeEach(() => {
    repo = fixture().repo;
  });

  test('written with the job and its record, read back byte for byte, counted in the quota', async () => {
    const bytes = randomBytes(3000);
    const job = await repo.outbox.enqueue(storedImage('m1', bytes), 1000, record('m1'));
    expect(job.media).toEqual({ path: null, bytes: 3000, fileName: 'photo.jpg', mimetype: 'image/jpeg', caption: null });
    expect(await repo.messages.get('m1')).toMatchObject({ status: 'queued' });
    expect((await repo.outbox.storedMedia('m1'))?.equals(bytes)).toBe(true);
    expect(await repo.outbox.size()).toMatchObject({ jobs: 1, bytes: 3000 });
    // Not a spool file: the start-up sweep of this node's spool folder keeps nothing for it.
    expect(await repo.outbox.referencedMediaPaths()).toEqual([]);
    expect(await repo.outbox.storedMedia('other')).toBeNull();
  });

  test('gone when the job is sent, and when it fails from queued or from in flight', async () => {
    for (const id of ['sent', 'failed-queued', 'failed-in-flight']) await repo.outbox.enqueue(storedImage(id, randomBytes(100)), 1000);
    expect(await repo.storedMediaRows()).toBe(3);

    await repo.outbox.markInFlight('sent', 'W1', 1000);
    await repo.outbox.complete('sent', 1001);
    expect(await repo.outbox.storedMedia('sent')).toBeNull();

    await repo.outbox.fail('failed-queued', 'WhatsApp error 479: rejected', 1002);
    expect(await repo.outbox.storedMedia('failed-queued')).toBeNull();

    await repo.outbox.markInFlight('failed-in-flight', 'W3', 1003);
    await repo.outbox.fail('failed-in-flight', 'WhatsApp error 463: restricted', 1004);
    expect(await repo.storedMediaRows()).toBe(0);
  });

  test('a restart keeps an interrupted job its media; a refused settle move drops nothing', async () => {
    const bytes = randomBytes(500);
    await repo.outbox.enqueue(storedImage('m1', bytes), 1000);
    await repo.outbox.markInFlight('m1', 'W1', 1000);
    const restarted = (await fixture().reopen()).outbox;
    expect((await restarted.recoverInFlight()).map((j) => j.messageId)).toEqual(['m1']);
    // complete() needs in flight: refused, and the queued job keeps its bytes.
    await expect(restarted.complete('m1', 2000)).rejects.toThrow();
    expect((await restarted.storedMedia('m1'))?.equals(bytes)).toBe(true);
    const { job } = await restarted.nextReady(2000, NO_PACING);
    expect(job?.media?.path).toBeNull();
  });

  test('nothing is written when the outbox is full or the record cannot be written', async () => {
    const full = repo.withLimits({ ...LIMITS, maxBytes: 1000 });
    await expect(full.enqueue(storedImage('big', randomBytes(1001)), 1000, record('big'))).rejects.toBeInstanceOf(OutboxFullError);
    // A record that already exists: the insert after the job and its media fails, undoing both.
    await repo.messages.create(record('dup'));
    // By code: better-sqlite3's errors come from the realm that first loaded it, not always `instanceof Error` under Jest.
    await expect(repo.outbox.enqueue(storedImage('m2', randomBytes(10)), 1000, record('dup'))).rejects.toHaveProperty('code');
    expect(await repo.outbox.get('m2')).toBeNull();
    expect(await repo.storedMediaRows()).toBe(0);
  });

  test("purging keeps pending jobs' media and only this session's", async () => {
    const sales = await fixture().otherSession('sales');
    await repo.outbox.enqueue(storedImage('m1', randomBytes(10)), 1000);
    await sales.outbox.enqueue(storedImage('m1', randomBytes(10)), 1000);
    await repo.outbox.enqueue(text('t1'), 1000);
    await repo.outbox.markInFlight('t1', 'WT', 1000);
    await repo.outbox.complete('t1', 1000);
    expect(await repo.outbox.purgeFinished(5000)).toBe(1);
    expect(await repo.storedMediaRows()).toBe(2);
    await sales.outbox.fail('m1', 'gone', 6000);
    expect(await repo.storedMediaRows()).toBe(1);
    expect(await repo.outbox.storedMedia('m1')).not.toBeNull();
  });

  test('purging removes media no pending job owns, however its job row went', async () => {
    await repo.outbox.enqueue(storedImage('kept', randomBytes(10)), 1000);
    await repo.outbox.enqueue(storedImage('orphan', randomBytes(10)), 1000);
    await repo.removeJobRow('orphan');
    await repo.outbox.purgeFinished(0);
    expect(await repo.outbox.storedMedia('orphan')).toBeNull();
    expect(await repo.outbox.storedMedia('kept')).not.toBeNull();
    expect(await repo.storedMediaRows()).toBe(1);
  });
});

describe.each(STORES.filter((s) => s !== 'embedded SQLite'))('the driving node sending stored media on %s', (store) => {
  const fixture = useRepository<OutboxStore>(store, outboxStores);
  let spoolDir: string;
  beforeEach(async () => {
    spoolDir = await mkdtemp(path.join(tmpdir(), 'wa-stored-media-'));
  });
  afterEach(async () => {
    await rm(spoolDir, { recursive: true, force: true });
  });

  test('the bytes are on a spool file during the send only', async () => {
    const { outbox } = fixture().repo;
    const spool = new MediaSpool(spoolDir);
    const bytes = randomBytes(2048);
    const job = await outbox.enqueue(storedImage('m1', bytes), 1000);
    let sent: { path: string; bytes: Buffer } | undefined;
    await sendQueuedContent(job, { repository: outbox, spool }, async (content) => {
      if (!('path' in content)) throw new Error('not media');
      sent = { path: content.path, bytes: await readFile(content.path) };
    });
    expect(sent?.bytes.equals(bytes)).toBe(true);
    expect(path.dirname(sent!.path)).toBe(spool.dir);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  test('a failed send removes the file too; bytes gone from the store fail the job for good, nothing sent', async () => {
    const { outbox } = fixture().repo;
    const spool = new MediaSpool(spoolDir);
    const job = await outbox.enqueue(storedImage('m1', randomBytes(10)), 1000);
    await expect(sendQueuedContent(job, { repository: outbox, spool }, () => Promise.reject(new Error('socket closed')))).rejects.toThrow('socket closed');
    expect(await readdir(spoolDir)).toEqual([]);
    await outbox.fail('m1', 'gone', 2000);
    let attempted = false;
    const missing = sendQueuedContent(job, { repository: outbox, spool }, async () => {
      attempted = true;
    });
    await expect(missing).rejects.toBeInstanceOf(StoredMediaMissingError);
    await expect(missing).rejects.toMatchObject({ retryable: false });
    expect(attempted).toBe(false);
  });
});

describe('the embedded store', () => {
  const fixture = useRepository<OutboxStore>('embedded SQLite', outboxStores);

  test('keeps queued media in its spool only: a job with stored bytes is refused, nothing written', async () => {
    const { outbox } = fixture().repo;
    await expect(outbox.enqueue(storedImage('m1', randomBytes(10)), 1000)).rejects.toThrow(/spool/);
    expect(await outbox.get('m1')).toBeNull();
    expect(await outbox.storedMedia('m1')).toBeNull();
  });
});
