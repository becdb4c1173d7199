/**
 * The media bytes a queued job carries in the shared store (`outbox_media`, cluster mode): written
 * in the job's own transaction, read by whichever node sends the job, and dropped in the
 * transaction that settles it, so stored bytes never outlive their job (see stored-media.ts for
 * the sending side).
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { NewOutboxJob, OutboxStatus } from './outbox-repository.js';

export class KyselyOutboxMedia {
  constructor(
    private readonly session: string,
    private readonly pending: OutboxStatus[],
  ) {}

  /** Stores the job's bytes, if it has any, inside the enqueue's transaction. */
  async keep(trx: Kysely<StoreSchema>, job: NewOutboxJob): Promise<void> {
    if (!job.mediaData) return;
    await trx
      .insertInto('outbox_media')
      .values({
        session: this.session,
        message_id: job.messageId,
        bytes: job.mediaData,
        mimetype: job.media?.mimetype ?? 'application/octet-stream',
        file_name: job.media?.fileName ?? '',
      })
      .execute();
  }

  async read(db: Kysely<StoreSchema>, messageId: string): Promise<Buffer | null> {
    const row = await db.selectFrom('outbox_media').select('bytes').where('session', '=', this.session).where('message_id', '=', messageId).executeTakeFirst();
    return row ? Buffer.from(row.bytes) : null;
  }

  /** A settled job's stored media goes in the transaction that settles it: never left behind. */
  async drop(trx: Kysely<StoreSchema>, messageId: string): Promise<void> {
    await trx.deleteFrom('outbox_media').where('session', '=', this.session).where('message_id', '=', messageId).execute();
  }

  /**
   * Settling a job drops its media in the same transaction; this catches rows no pending job owns
   * however they came about (a job row removed by hand), so stored bytes never outlive their job.
   */
  async dropOrphans(trx: Kysely<StoreSchema>): Promise<void> {
    await trx
      .deleteFrom('outbox_media')
      .where('session', '=', this.session)
      .where('message_id', 'not in', (eb) =>
        eb.selectFrom('outbox_jobs').select('message_id').where('session', '=', this.session).where('status', 'in', this.pending),
      )
      .execute();
  }
}
