/**
 * A queued message's record and its outbox job are one SQLite transaction: a failure between the
 * two writes (injected with a real trigger that RAISEs, as a full disk or an I/O error would) leaves
 * neither row. And a job's failure and its record's can never be left apart by a crash either.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import request from 'supertest';
import type { OutboxJob } from '../../src/outbox/outbox-repository.js';
import { OutboxWorker, type OutboxOutcome, type OutboxSender } from '../../src/outbox/outbox-worker.js';
import { NO_PACING } from '../../src/outbox/pacing.js';
import { SqliteOutboxRepository } from '../../src/outbox/sqlite-outbox-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { tempDatabase } from '../store/temp-db.js';
import { waitFor } from '../webhooks/receiver.js';

const OUTBOX_ON = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' };

let t: TestApp | undefined;
let side: Database.Database | undefined;
afterEach(async () => {
  side?.close();
  side = undefined;
  await t?.cleanup();
  t = undefined;
});

/** A second connection to the gateway's own file: the trigger is schema, so the gateway sees it too. */
function openSide(app: TestApp): Database.Database {
  side = new Database(path.join(app.config.dataDir, 'gateway.db'));
  return side;
}

const count = (db: Database.Database, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('a queued message: record and outbox job in one transaction', () => {
  test('the job insert fails: neither row exists, and the same key may retry', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('waiting_to_retry');
    const db = openSide(t);
    db.exec("CREATE TRIGGER outbox_breaks BEFORE INSERT ON outbox_jobs BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END;");

    const failed = await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k-1').send({ phone: '6281234567890', message: 'lost?' });
    expect(failed.status).toBe(500);
    expect(count(db, 'messages')).toBe(0);
    expect(count(db, 'outbox_jobs')).toBe(0);

    // The store works again: the retry with the same key is a new send (its key was released), not a 409.
    db.exec('DROP TRIGGER outbox_breaks');
    const ok = await request(t.app).post('/api/send-message').set('Idempotency-Key', 'k-1').send({ phone: '6281234567890', message: 'lost?' }).expect(202);
    expect(count(db, 'messages')).toBe(1);
    expect(db.prepare('SELECT message_id, wa_message_id, status FROM outbox_jobs').all()).toEqual([
      { message_id: ok.body.data.id, wa_message_id: ok.body.data.message_id, status: 'queued' },
    ]);
    t.transport.setPhase('open');
    await waitFor(() => t!.transport.sent.length === 1);
    expect(t.transport.sent[0]).toMatchObject({ text: 'lost?', messageId: ok.body.data.message_id });
  });

  test('a job insert that fails late (after its row) writes no record either (media: the spooled file goes too)', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('connecting');
    const db = openSide(t);
    db.exec("CREATE TRIGGER outbox_breaks AFTER INSERT ON outbox_jobs BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END;");

    await request(t.app).post('/api/send-image').field('phone', '6281234567890').attach('file', SAMPLE_FILES.png!, 'a.png').expect(500);
    expect(count(db, 'messages')).toBe(0);
    expect(count(db, 'outbox_jobs')).toBe(0);
    expect(await readdir(path.join(t.config.dataDir, 'outbox-media'))).toEqual([]);
    expect(await t.uploadsLeft()).toEqual([]);
  });

  test('the record insert fails after the job was written: the job is undone too', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('waiting_to_retry');
    const db = openSide(t);
    db.exec("CREATE TRIGGER records_break BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END;");

    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(500);
    expect(count(db, 'messages')).toBe(0);
    expect(count(db, 'outbox_jobs')).toBe(0);
  });

  test('a full outbox still keeps the refused message as a failed record (and no job)', async () => {
    t = await buildTestApp({ ...OUTBOX_ON, OUTBOX_MAX_MESSAGES: '1' });
    t.transport.setPhase('waiting_to_retry');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'fits' }).expect(202);
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'does not' }).expect(503);
    const db = openSide(t);
    expect(db.prepare('SELECT summary, status, error FROM messages ORDER BY seq').all()).toEqual([
      { summary: 'fits', status: 'queued', error: null },
      { summary: 'does not', status: 'failed', error: expect.stringMatching(/^Outbox full/) },
    ]);
    expect(count(db, 'outbox_jobs')).toBe(1);
  });
});

describe('a job and its record settle together across a crash', () => {
  test('a crash after the record was marked failed and before the job was: the restart settles it failed, never resends', async () => {
    const store = tempDatabase('wa-atomic-');
    const jid = '6281111111111@s.whatsapp.net';
    const messages = new SqliteMessageRepository(store.db);
    const outbox = new SqliteOutboxRepository(store.db, { maxBytes: 1e9, maxJobs: 10 });
    const record = await messages.create({ waMessageId: '3EB0FAIL', phone: '6281111111111', jid, type: 'text', text: 'no', status: 'queued' });
    await outbox.enqueue({ messageId: record.id, waMessageId: '3EB0FAIL', jid, kind: 'text', text: 'no' });
    await outbox.markInFlight(record.id, '3EB0FAIL');
    // The worker's failure path wrote the record's half, then the process died.
    await messages.markStatusById(record.id, 'failed', new Date(), 'WhatsApp error 463: reach-out timelock');
    const db = store.reopen();

    const wire: string[] = [];
    const sender: OutboxSender = {
      isConnected: () => true,
      newMessageId: () => '3EB0NEW',
      send: async (job: OutboxJob) => void wire.push(job.text ?? ''),
    };
    const settled: OutboxOutcome[] = [];
    const worker = new OutboxWorker({
      outbox: new SqliteOutboxRepository(db, { maxBytes: 1e9, maxJobs: 10 }),
      messages: new SqliteMessageRepository(db),
      sender,
      pacing: NO_PACING,
      onSettled: (o) => void settled.push(o),
    });
    await worker.start();
    await waitFor(() => settled.length === 1);
    await worker.stop();
    expect(wire).toEqual([]);
    expect(settled[0]).toMatchObject({ result: 'failed', error: 'WhatsApp error 463: reach-out timelock', job: { status: 'failed' } });
    expect(await new SqliteMessageRepository(db).get(record.id)).toMatchObject({ status: 'failed' });
    store.cleanup();
  });
});
