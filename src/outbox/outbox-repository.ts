/**
 * The outbox: sends accepted while WhatsApp is disconnected (or held back by pacing), kept on disk
 * and handed out in order once they may go.
 *
 * Exactly once across a kill -9. A job moves queued → in_flight → sent|failed, and the WhatsApp
 * message id is chosen and committed with the move to in_flight, BEFORE the send (Baileys takes it
 * as `messageId`). A crash can then leave a job only in two places:
 *  - queued: the send was never attempted; it goes out normally.
 *  - in_flight: the send may or may not have reached WhatsApp. `recoverInFlight()` puts it back at
 *    the head of its recipient's queue, keeping its id, and `markInFlight` reuses that id instead of
 *    a new one. Before resending, the worker checks the message record: a receipt for that id
 *    (sent/delivered/read) proves it arrived, so the job is completed without sending. Otherwise it
 *    is resent under the SAME id. WhatsApp identifies a message by (chat, fromMe, id) and clients
 *    keep one message per key, so a duplicate of one that did arrive is dropped rather than shown
 *    twice — which is also how Baileys' own retry path resends. A fresh id here would be the one
 *    way to produce a visible duplicate, and dropping the job would lose a message.
 * Per-recipient order holds because a recipient's next job waits while one is in flight and a
 * recovered job keeps its original place (seq).
 */
import type { OutgoingKind } from '../whatsapp/transport.js';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import { nextAllowedAt, pacingHorizonMs, type PacingPolicy, type SendRecord } from './pacing.js';

export type OutboxKind = OutgoingKind;
export type OutboxStatus = 'queued' | 'in_flight' | 'sent' | 'failed';

export interface OutboxMedia {
  /** The file in the outbox spool folder; the job owns it until it is sent or failed. */
  path: string;
  bytes: number;
  fileName: string;
  mimetype: string;
  caption?: string | null;
}

export interface NewOutboxJob {
  /** The message record's id; one job per message. */
  messageId: string;
  jid: string;
  kind: OutboxKind;
  text?: string | null;
  media?: OutboxMedia | null;
  /** Anything else the sender needs (e.g. `{ ptt: true }`), stored as JSON. */
  options?: Record<string, unknown> | null;
  /** WhatsApp id chosen at enqueue time, so the 202 response can already name it. */
  waMessageId?: string | null;
}

export interface OutboxJob {
  seq: number;
  messageId: string;
  jid: string;
  kind: OutboxKind;
  text: string | null;
  media: OutboxMedia | null;
  options: Record<string, unknown> | null;
  status: OutboxStatus;
  /** Set when the job first goes in flight, and kept for every later attempt. */
  waMessageId: string | null;
  attempts: number;
  /** Epoch ms before which the job must not be tried again (after a transient failure). */
  notBefore: number | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface OutboxLimits {
  /** Bytes of queued media the outbox may hold. */
  maxBytes: number;
  /** Jobs the outbox may hold. */
  maxJobs: number;
}

export type ReadyResult = { job: OutboxJob } | { job: null; /** When to look again; null when nothing is queued. */ wakeAt: number | null };

export interface OutboxUsage {
  jobs: number;
  bytes: number;
  inFlight: number;
  /** When the oldest job still waiting was accepted (ms), or null when none waits. */
  oldestAcceptedAt: number | null;
}

export interface OutboxRepository {
  /** Throws OutboxFullError when the job or byte quota would be exceeded. */
  enqueue(job: NewOutboxJob, now?: number): Promise<OutboxJob>;
  /** The oldest job whose recipient has nothing in flight and which pacing lets go now. */
  nextReady(now: number, pacing: PacingPolicy, heldUntil?: HoldPolicy): Promise<ReadyResult>;
  /** queued → in_flight; the returned job's waMessageId (an earlier one wins) is the id to send with. */
  markInFlight(messageId: string, proposedWaMessageId: string, now?: number): Promise<OutboxJob>;
  /** in_flight → sent; records the send for pacing. */
  complete(messageId: string, now?: number): Promise<OutboxJob>;
  /** in_flight → queued after a transient failure (disconnected again), keeping place and id. */
  release(messageId: string, error: string, notBefore?: number | null, countAttempt?: boolean): Promise<OutboxJob>;
  /** queued|in_flight → failed, for good. */
  fail(messageId: string, error: string, now?: number): Promise<OutboxJob>;
  /** On start: in_flight jobs of a crashed run go back to queued; returns them. */
  recoverInFlight(): Promise<OutboxJob[]>;
  /** A send that bypassed the outbox still counts for pacing. */
  recordSend(jid: string, at?: number): Promise<void>;
  recentSends(since: number): Promise<SendRecord[]>;
  get(messageId: string): Promise<OutboxJob | null>;
  /** Jobs still to send (queued + in flight) and the bytes of media they hold. */
  size(): Promise<OutboxUsage>;
  /** Media files pending jobs still need; anything else in the spool folder is an orphan. */
  referencedMediaPaths(): Promise<string[]>;
  /** Deletes sent/failed jobs finished before `before` and send history older than it. */
  purgeFinished(before: number): Promise<number>;
}

/** Epoch ms until which sends to a recipient must wait (an account restriction), or null. */
export type HoldPolicy = (jid: string) => number | null;

export class OutboxFullError extends Error {
  readonly code = 'OUTBOX_FULL';
  constructor(
    readonly reason: 'jobs' | 'bytes',
    readonly usage: OutboxUsage,
    readonly limits: OutboxLimits,
  ) {
    super(
      reason === 'jobs'
        ? `Outbox full: ${usage.jobs} of ${limits.maxJobs} messages already queued`
        : `Outbox full: queued media would exceed the ${Math.round(limits.maxBytes / (1024 * 1024))}MB disk quota`,
    );
    this.name = 'OutboxFullError';
  }
}

export class OutboxStateError extends Error {
  readonly code = 'OUTBOX_STATE';
  constructor(messageId: string, expected: string, actual: string | null) {
    super(`Outbox job ${messageId} is ${actual ?? 'missing'}, expected ${expected}`);
    this.name = 'OutboxStateError';
  }
}

interface JobRow {
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

function toJob(row: JobRow): OutboxJob {
  return {
    seq: row.seq,
    messageId: row.message_id,
    jid: row.jid,
    kind: row.kind,
    text: row.text,
    media:
      row.media_path === null
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

  constructor(
    private readonly db: SqliteDatabase,
    private readonly limits: OutboxLimits,
  ) {
    this.sql = new StatementCache(db);
  }

  async enqueue(job: NewOutboxJob, now = Date.now()): Promise<OutboxJob> {
    const bytes = job.media?.bytes ?? 0;
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
    let wakeAt = Infinity;
    for (const head of heads) {
      const at = Math.max(nextAllowedAt(pacing, head.jid, history, now), head.not_before ?? 0, heldUntil?.(head.jid) ?? 0);
      if (at <= now) return { job: toJob(head) };
      wakeAt = Math.min(wakeAt, at);
    }
    return { job: null, wakeAt };
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

  async size(): Promise<OutboxUsage> {
    return this.usage();
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
