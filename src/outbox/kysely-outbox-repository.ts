/**
 * The outbox in the shared store (SQLite or PostgreSQL through Kysely), one session's among many:
 * the state machine and exactly-once rules of outbox-repository.ts, with SqliteOutboxRepository's
 * answers. Several nodes may reach one session's rows, so every move is one conditional UPDATE …
 * RETURNING on the status it expects: of two nodes taking the same job, the database lets exactly
 * one through and the other gets OutboxStateError.
 *
 * On PostgreSQL every new job rings the `outbox` doorbell (payload: the session) inside its
 * transaction, so whichever node drives the session wakes its worker at once; every settled job
 * rings `outbox_result` (payload: the message id) after its record was written, so the node that
 * accepted the send can answer without polling (src/cluster/outbox-doorbell.ts).
 */
import type { Kysely, QueryExecutorProvider } from 'kysely';
import { notifyIn } from '../cluster/notify.js';
import { dialectOf, lockUntilCommit } from '../cluster/sql/dialect.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { insertMessage } from '../records/kysely-message-repository.js';
import type { NewMessage } from '../records/message-repository.js';
import {
  OutboxFullError,
  OutboxStateError,
  type HoldPolicy,
  type NewOutboxJob,
  type OutboxJob,
  type OutboxLimits,
  type OutboxRepository,
  type OutboxStatus,
  type OutboxUsage,
  type ReadyResult,
} from './outbox-repository.js';
import { KyselyOutboxMedia } from './kysely-outbox-media.js';
import { firstReadyHead, pacingHorizonMs, type PacingPolicy, type SendRecord } from './pacing.js';
import { toJob } from './sqlite-outbox-repository.js';

const PENDING: OutboxStatus[] = ['queued', 'in_flight'];

/** A job was enqueued for the session named in the payload. */
export const OUTBOX_CHANNEL = 'outbox';
/** The job (and record) whose message id is the payload reached sent or failed. */
export const OUTBOX_RESULT_CHANNEL = 'outbox_result';

export class KyselyOutboxRepository implements OutboxRepository {
  /** Media bytes kept with jobs (cluster mode), in the same transactions as the jobs. */
  private readonly media: KyselyOutboxMedia;

  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
    private readonly limits: OutboxLimits,
  ) {
    this.media = new KyselyOutboxMedia(session, PENDING);
  }

  async enqueue(job: NewOutboxJob, now = Date.now(), record?: NewMessage): Promise<OutboxJob> {
    const bytes = job.media?.bytes ?? 0;
    return this.db.transaction().execute(async (trx) => {
      // The quota is a count read before the insert: enqueues of one session, from any node, take turns.
      await lockUntilCommit(trx, `outbox:${this.session}`);
      const usage = await this.usage(trx);
      if (usage.jobs + 1 > this.limits.maxJobs) throw new OutboxFullError('jobs', usage, this.limits);
      if (usage.bytes + bytes > this.limits.maxBytes) throw new OutboxFullError('bytes', usage, this.limits);
      const row = await trx
        .insertInto('outbox_jobs')
        .values({
          session: this.session,
          message_id: job.messageId,
          jid: job.jid,
          kind: job.kind,
          text: job.text ?? null,
          media_path: job.media?.path ?? null,
          media_bytes: bytes,
          file_name: job.media?.fileName ?? null,
          mimetype: job.media?.mimetype ?? null,
          caption: job.media?.caption ?? null,
          options: job.options ? JSON.stringify(job.options) : null,
          status: 'queued',
          wa_message_id: job.waMessageId ?? null,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.media.keep(trx, job);
      // Last, as in the embedded store: a failure of either write undoes both.
      if (record) await insertMessage(trx, this.session, record);
      if (dialectOf(this.db) === 'postgres') await notifyIn(trx, OUTBOX_CHANNEL, this.session);
      return toJob(row);
    });
  }

  async nextReady(now: number, pacing: PacingPolicy, heldUntil?: HoldPolicy): Promise<ReadyResult> {
    // The head of each recipient's queue; later jobs of a recipient never overtake it.
    const heads = await this.db
      .selectFrom('outbox_jobs')
      .selectAll()
      .where('session', '=', this.session)
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('outbox_jobs')
          .select((inner) => inner.fn.min('seq').as('seq'))
          .where('session', '=', this.session)
          .where('status', '=', 'queued')
          .groupBy('jid'),
      )
      .where('jid', 'not in', (eb) => eb.selectFrom('outbox_jobs').select('jid').where('session', '=', this.session).where('status', '=', 'in_flight'))
      .orderBy('seq')
      .execute();
    // Jobs waiting behind an in-flight one become ready when it completes, not on a timer.
    if (heads.length === 0) return { job: null, wakeAt: null };
    const history = await this.recentSends(now - pacingHorizonMs(pacing));
    const ready = firstReadyHead(heads, history, now, pacing, heldUntil);
    return ready.head ? { job: toJob(ready.head) } : { job: null, wakeAt: ready.wakeAt };
  }

  async markInFlight(messageId: string, proposedWaMessageId: string, now = Date.now()): Promise<OutboxJob> {
    const row = await this.db
      .updateTable('outbox_jobs')
      .set((eb) => ({
        status: 'in_flight',
        wa_message_id: eb.fn.coalesce('wa_message_id', eb.val(proposedWaMessageId)),
        attempts: eb('attempts', '+', 1),
        started_at: now,
        not_before: null,
      }))
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : this.refuse(messageId, ['queued'], 'in_flight');
  }

  async complete(messageId: string, now = Date.now()): Promise<OutboxJob> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('outbox_jobs')
        .set({ status: 'sent', error: null, finished_at: now })
        .where('session', '=', this.session)
        .where('message_id', '=', messageId)
        .where('status', '=', 'in_flight')
        .returningAll()
        .executeTakeFirst();
      if (!row) return this.refuse(messageId, ['in_flight'], 'sent', trx);
      await trx.insertInto('send_log').values({ session: this.session, jid: row.jid, at: now }).execute();
      await this.media.drop(trx, messageId);
      await this.announceSettled(trx, messageId);
      return toJob(row);
    });
  }

  async release(messageId: string, error: string, notBefore: number | null = null, countAttempt = true): Promise<OutboxJob> {
    const row = await this.db
      .updateTable('outbox_jobs')
      .set((eb) => ({
        status: 'queued',
        error,
        not_before: notBefore,
        // A send cut off by a lost connection is not the message's fault: it does not use up an attempt.
        ...(countAttempt
          ? {}
          : {
              attempts: eb
                .case()
                .when('attempts', '>', 0)
                .then(eb('attempts', '-', 1))
                .else(eb.lit(0))
                .end(),
            }),
      }))
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .where('status', '=', 'in_flight')
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : this.refuse(messageId, ['in_flight'], 'queued');
  }

  async fail(messageId: string, error: string, now = Date.now()): Promise<OutboxJob> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('outbox_jobs')
        .set({ status: 'failed', error, finished_at: now })
        .where('session', '=', this.session)
        .where('message_id', '=', messageId)
        .where('status', 'in', PENDING)
        .returningAll()
        .executeTakeFirst();
      if (!row) return this.refuse(messageId, PENDING, 'failed', trx);
      await this.media.drop(trx, messageId);
      await this.announceSettled(trx, messageId);
      return toJob(row);
    });
  }

  async recoverInFlight(): Promise<OutboxJob[]> {
    const rows = await this.db
      .updateTable('outbox_jobs')
      .set({ status: 'queued', error: 'interrupted by a restart' })
      .where('session', '=', this.session)
      .where('status', '=', 'in_flight')
      .returningAll()
      .execute();
    // RETURNING promises no order.
    return rows.sort((a, b) => a.seq - b.seq).map(toJob);
  }

  async recordSend(jid: string, at = Date.now()): Promise<void> {
    await this.db.insertInto('send_log').values({ session: this.session, jid, at }).execute();
  }

  async recentSends(since: number): Promise<SendRecord[]> {
    return this.db.selectFrom('send_log').select(['jid', 'at']).where('session', '=', this.session).where('at', '>', since).orderBy('at').execute();
  }

  async get(messageId: string): Promise<OutboxJob | null> {
    const row = await this.db.selectFrom('outbox_jobs').selectAll().where('session', '=', this.session).where('message_id', '=', messageId).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  storedMedia(messageId: string): Promise<Buffer | null> {
    return this.media.read(this.db, messageId);
  }

  async size(): Promise<OutboxUsage> {
    return this.usage(this.db);
  }

  async hasPendingFor(jid: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('outbox_jobs')
      .select('seq')
      .where('session', '=', this.session)
      .where('jid', '=', jid)
      .where('status', 'in', PENDING)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async referencedMediaPaths(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('outbox_jobs')
      .select('media_path')
      .where('session', '=', this.session)
      .where('status', 'in', PENDING)
      .where('media_path', 'is not', null)
      .execute();
    return rows.flatMap((r) => (r.media_path === null ? [] : [r.media_path]));
  }

  async purgeFinished(before: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('send_log').where('session', '=', this.session).where('at', '<', before).execute();
      await this.media.dropOrphans(trx);
      const result = await trx
        .deleteFrom('outbox_jobs')
        .where('session', '=', this.session)
        .where('status', 'in', ['sent', 'failed'])
        .where('finished_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  private async usage(db: Kysely<StoreSchema>): Promise<OutboxUsage> {
    const row = await db
      .selectFrom('outbox_jobs')
      .select((eb) => [
        eb.fn.countAll().as('jobs'),
        eb.fn.sum('media_bytes').as('bytes'),
        eb.fn.sum(eb.case().when('status', '=', 'in_flight').then(eb.lit(1)).else(eb.lit(0)).end()).as('inFlight'),
        eb.fn.min('created_at').as('oldestAcceptedAt'),
      ])
      .where('session', '=', this.session)
      .where('status', 'in', PENDING)
      .executeTakeFirstOrThrow();
    // PostgreSQL sums bigints as numeric, which pg hands over as text; every sum here is far below 2^53.
    return {
      jobs: Number(row.jobs),
      bytes: Number(row.bytes ?? 0),
      inFlight: Number(row.inFlight ?? 0),
      oldestAcceptedAt: row.oldestAcceptedAt === null ? null : Number(row.oldestAcceptedAt),
    };
  }

  /** NOTIFY is sent on commit: the record (written before the job settles) is there when it arrives. */
  private async announceSettled(db: QueryExecutorProvider, messageId: string): Promise<void> {
    if (dialectOf(this.db) === 'postgres') await notifyIn(db, OUTBOX_RESULT_CHANNEL, messageId);
  }

  /** The error for a move the job's current status does not allow (or a job that is not there). */
  private async refuse(messageId: string, from: OutboxStatus[], to: OutboxStatus, db = this.db): Promise<never> {
    const current = await db
      .selectFrom('outbox_jobs')
      .select('status')
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    throw new OutboxStateError(messageId, `${from.join(' or ')} (to become ${to})`, current?.status ?? null);
  }
}
