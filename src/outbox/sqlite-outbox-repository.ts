/**
 * The outbox on SQLite: the state machine and exactly-once rules documented in
 * outbox-repository.ts, as transactions over the outbox_jobs and send_log tables.
 */
import type { NewMessage } from '../records/message-repository.js';
import { SqliteMessageRepository } from '../records/sqlite-message-repository.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import {
  OutboxFullError,
  OutboxStateError,
  type HoldPolicy,
  type NewOutboxJob,
  type OutboxJob,
  type OutboxKind,
  type OutboxLimits,
  type OutboxRepository,
  type OutboxStatus,
  type OutboxUsage,
  type ReadyResult,
} from './outbox-repository.js';
import { firstReadyHead, pacingHorizonMs, type PacingPolicy, type SendRecord } from './pacing.js';

/** An outbox_jobs row as both stores read it. */
export interface JobRow {
  seq: number;
  message_id: string;
  jid: string;
  kind: OutboxKind;
  text: string | null;
  media_path: string | null;
  media_bytes: number;
  file_name: string | null;
  mimetype: string | null;
  caption: string | null;
  options: string | null;
  status: OutboxStatus;
  wa_message_id: string | null;
  attempts: number;
  not_before: number | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export function toJob(row: JobRow): OutboxJob {
  return {
    seq: row.seq,
    messageId: row.message_id,
    jid: row.jid,
    kind: row.kind,
    text: row.text,
    // A media job has a file name; its bytes are in the spool (media_path) or, in the shared store, kept with the job.
    media:
      row.media_path === null && row.file_name === null
        ? null
        : { path: row.media_path, bytes: row.media_bytes, fileName: row.file_name ?? '', mimetype: row.mimetype ?? '', caption: row.caption },
    options: row.options === null ? null : (JSON.parse(row.options) as Record<string, unknown>),
    status: row.status,
    waMessageId: row.wa_message_id,
    attempts: row.attempts,
    notBefore: row.not_before,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

const PENDING = "status IN ('queued', 'in_flight')";

export class SqliteOutboxRepository implements OutboxRepository {
  private readonly sql: StatementCache;
  private readonly records: SqliteMessageRepository;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly limits: OutboxLimits,
  ) {
    this.sql = new StatementCache(db);
    this.records = new SqliteMessageRepository(db);
  }

  async enqueue(job: NewOutboxJob, now = Date.now(), record?: NewMessage): Promise<OutboxJob> {
    const bytes = job.media?.bytes ?? 0;
    // One node, one spool: media bytes in the store are for sends another node accepted (cluster mode).
    if (job.mediaData || (job.media && job.media.path === null)) throw new Error('the embedded outbox keeps queued media in its spool folder only');
    return this.db
      .transaction(() => {
        const usage = this.usage();
        if (usage.jobs + 1 > this.limits.maxJobs) throw new OutboxFullError('jobs', usage, this.limits);
        if (usage.bytes + bytes > this.limits.maxBytes) throw new OutboxFullError('bytes', usage, this.limits);
        this.sql
          .prepare(
            `INSERT INTO outbox_jobs (message_id, jid, kind, text, media_path, media_bytes, file_name, mimetype, caption, options, status, wa_message_id, created_at)
             VALUES (@messageId, @jid, @kind, @text, @path, @bytes, @fileName, @mimetype, @caption, @options, 'queued', @waMessageId, @now)`,
          )
          .run({
            messageId: job.messageId,
            jid: job.jid,
            kind: job.kind,
            text: job.text ?? null,
            path: job.media?.path ?? null,
            bytes,
            fileName: job.media?.fileName ?? null,
            mimetype: job.media?.mimetype ?? null,
            caption: job.media?.caption ?? null,
            options: job.options ? JSON.stringify(job.options) : null,
            waMessageId: job.waMessageId ?? null,
            now,
          });
        // Last, so it runs only once the job is in: a failure of either write undoes both.
        if (record) this.records.insertNow(record);
        return this.mustGet(job.messageId);
      })
      .immediate();
  }

  async nextReady(now: number, pacing: PacingPolicy, heldUntil?: HoldPolicy): Promise<ReadyResult> {
    // The head of each recipient's queue; later jobs of a recipient never overtake it.
    const heads = this.sql
      .prepare(
        `SELECT * FROM outbox_jobs WHERE seq IN (SELECT MIN(seq) FROM outbox_jobs WHERE status = 'queued' GROUP BY jid)
         AND jid NOT IN (SELECT jid FROM outbox_jobs WHERE status = 'in_flight')
         ORDER BY seq`,
      )
      .all() as JobRow[];
    // Jobs waiting behind an in-flight one become ready when it completes, not on a timer.
    if (heads.length === 0) return { job: null, wakeAt: null };
    const history = this.sendsSince(now - pacingHorizonMs(pacing));
    const ready = firstReadyHead(heads, history, now, pacing, heldUntil);
    return ready.head ? { job: toJob(ready.head) } : { job: null, wakeAt: ready.wakeAt };
  }

  async markInFlight(messageId: string, proposedWaMessageId: string, now = Date.now()): Promise<OutboxJob> {
    return this.move(messageId, ['queued'], 'in_flight', () =>
      this.sql
        .prepare(
          `UPDATE outbox_jobs SET status = 'in_flight', wa_message_id = COALESCE(wa_message_id, ?), attempts = attempts + 1, started_at = ?, not_before = NULL
           WHERE message_id = ?`,
        )
        .run(proposedWaMessageId, now, messageId),
    );
  }

  async complete(messageId: string, now = Date.now()): Promise<OutboxJob> {
    return this.move(messageId, ['in_flight'], 'sent', (row) => {
      this.sql.prepare("UPDATE outbox_jobs SET status = 'sent', error = NULL, finished_at = ? WHERE message_id = ?").run(now, messageId);
      this.sql.prepare('INSERT INTO send_log (jid, at) VALUES (?, ?)').run(row.jid, now);
    });
  }

  async release(messageId: string, error: string, notBefore: number | null = null, countAttempt = true): Promise<OutboxJob> {
    // A send cut off by a lost connection is not the message's fault: it does not use up an attempt.
    const uncount = countAttempt ? 0 : 1;
    return this.move(messageId, ['in_flight'], 'queued', () =>
      this.sql
        .prepare("UPDATE outbox_jobs SET status = 'queued', error = ?, not_before = ?, attempts = MAX(0, attempts - ?) WHERE message_id = ?")
        .run(error, notBefore, uncount, messageId),
    );
  }

  async fail(messageId: string, error: string, now = Date.now()): Promise<OutboxJob> {
    return this.move(messageId, ['queued', 'in_flight'], 'failed', () =>
      this.sql.prepare("UPDATE outbox_jobs SET status = 'failed', error = ?, finished_at = ? WHERE message_id = ?").run(error, now, messageId),
    );
  }

  async recoverInFlight(): Promise<OutboxJob[]> {
    return this.db
      .transaction(() => {
        const rows = this.sql.prepare("SELECT * FROM outbox_jobs WHERE status = 'in_flight' ORDER BY seq").all() as JobRow[];
        this.sql.prepare("UPDATE outbox_jobs SET status = 'queued', error = 'interrupted by a restart' WHERE status = 'in_flight'").run();
        return rows.map((row) => ({ ...toJob(row), status: 'queued' as const, error: 'interrupted by a restart' }));
      })
      .immediate();
  }

  async recordSend(jid: string, at = Date.now()): Promise<void> {
    this.sql.prepare('INSERT INTO send_log (jid, at) VALUES (?, ?)').run(jid, at);
  }

  async recentSends(since: number): Promise<SendRecord[]> {
    return this.sendsSince(since);
  }

  async get(messageId: string): Promise<OutboxJob | null> {
    const row = this.row(messageId);
    return row ? toJob(row) : null;
  }

  async storedMedia(): Promise<Buffer | null> {
    return null;
  }

  async size(): Promise<OutboxUsage> {
    return this.usage();
  }

  async hasPendingFor(jid: string): Promise<boolean> {
    return this.sql.prepare(`SELECT 1 FROM outbox_jobs WHERE ${PENDING} AND jid = ? LIMIT 1`).get(jid) !== undefined;
  }

  async referencedMediaPaths(): Promise<string[]> {
    return (this.sql.prepare(`SELECT media_path FROM outbox_jobs WHERE ${PENDING} AND media_path IS NOT NULL`).all() as { media_path: string }[]).map(
      (r) => r.media_path,
    );
  }

  async purgeFinished(before: number): Promise<number> {
    return this.db.transaction(() => {
      this.sql.prepare('DELETE FROM send_log WHERE at < ?').run(before);
      return this.sql.prepare("DELETE FROM outbox_jobs WHERE status IN ('sent', 'failed') AND finished_at < ?").run(before).changes;
    })();
  }

  private usage(): OutboxUsage {
    const row = this.sql
      .prepare(
        `SELECT COUNT(*) AS jobs, COALESCE(SUM(media_bytes), 0) AS bytes, COALESCE(SUM(status = 'in_flight'), 0) AS inFlight,
           MIN(created_at) AS oldestAcceptedAt
         FROM outbox_jobs WHERE ${PENDING}`,
      )
      .get() as OutboxUsage;
    return { jobs: row.jobs, bytes: row.bytes, inFlight: row.inFlight, oldestAcceptedAt: row.oldestAcceptedAt };
  }

  private sendsSince(since: number): SendRecord[] {
    return this.sql.prepare('SELECT jid, at FROM send_log WHERE at > ? ORDER BY at').all(since) as SendRecord[];
  }

  private move(messageId: string, from: OutboxStatus[], to: OutboxStatus, update: (row: JobRow) => void): OutboxJob {
    return this.db
      .transaction(() => {
        const row = this.row(messageId);
        if (!row || !from.includes(row.status)) throw new OutboxStateError(messageId, `${from.join(' or ')} (to become ${to})`, row?.status ?? null);
        update(row);
        return this.mustGet(messageId);
      })
      .immediate();
  }

  private row(messageId: string): JobRow | undefined {
    return this.sql.prepare('SELECT * FROM outbox_jobs WHERE message_id = ?').get(messageId) as JobRow | undefined;
  }

  private mustGet(messageId: string): OutboxJob {
    const row = this.row(messageId);
    if (!row) throw new OutboxStateError(messageId, 'present', null);
    return toJob(row);
  }
}
