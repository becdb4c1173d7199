/**
 * The webhook delivery queue in the shared store (SQLite or PostgreSQL through Kysely), one
 * session's deliveries among many: the same behaviour, ordering and cursors as
 * SqliteWebhookDeliveryRepository, every query scoped by `session`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { keysetPage } from '../cluster/sql/keyset-page.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import {
  toDelivery,
  type AttemptFailure,
  type DeliveryPage,
  type DeliveryQuery,
  type NewWebhookDelivery,
  type WebhookDelivery,
  type WebhookDeliveryRepository,
} from './webhook-delivery-repository.js';

export class KyselyWebhookDeliveryRepository implements WebhookDeliveryRepository {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
  ) {}

  async enqueue(deliveries: NewWebhookDelivery[], now = Date.now()): Promise<WebhookDelivery[]> {
    if (deliveries.length === 0) return [];
    const ids = deliveries.map(() => randomUUID());
    // One statement: all of the event's deliveries or none.
    const rows = await this.db
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((d, i) => ({
          session: this.session,
          id: ids[i]!,
          event_id: d.eventId,
          event_type: d.eventType,
          url: d.url,
          payload: d.payload,
          status: 'pending' as const,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
        })),
      )
      .returningAll()
      .execute();
    // RETURNING promises no order; hand them back in the order given.
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => toDelivery(byId.get(id)!));
  }

  async due(now: number, limit: number, exclude: readonly string[] = []): Promise<WebhookDelivery[]> {
    const rows = await this.pending(exclude).selectAll().where('next_attempt_at', '<=', now).orderBy('next_attempt_at').orderBy('seq').limit(limit).execute();
    return rows.map(toDelivery);
  }

  async nextDueAt(exclude: readonly string[] = []): Promise<number | null> {
    const row = await this.pending(exclude)
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .executeTakeFirstOrThrow();
    return row.at === null ? null : Number(row.at);
  }

  async countPending(): Promise<number> {
    const row = await this.pending([])
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async markDelivered(id: string, at: number, statusCode: number): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: 'delivered',
        attempts: eb('attempts', '+', 1),
        next_attempt_at: null,
        last_error: null,
        last_status_code: statusCode,
        delivered_at: at,
        updated_at: at,
      }))
      .where('session', '=', this.session)
      .where('id', '=', id)
      .execute();
  }

  async markAttemptFailed(id: string, failure: AttemptFailure): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: failure.nextAttemptAt === null ? 'failed' : 'pending',
        attempts: eb('attempts', '+', 1),
        next_attempt_at: failure.nextAttemptAt,
        last_error: failure.error,
        last_status_code: failure.statusCode ?? null,
        updated_at: failure.at,
      }))
      .where('session', '=', this.session)
      .where('id', '=', id)
      .execute();
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('session', '=', this.session).where('id', '=', id).executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  async list(query: DeliveryQuery = {}): Promise<DeliveryPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 200);
    const filtered = this.db
      .selectFrom('webhook_deliveries')
      .where('session', '=', this.session)
      .$if(query.status !== undefined, (qb) => qb.where('status', '=', query.status!))
      .$if(query.eventType !== undefined, (qb) => qb.where('event_type', '=', query.eventType!))
      .$if(query.url !== undefined, (qb) => qb.where('url', '=', query.url!));
    return keysetPage(filtered.selectAll(), { limit, cursor: query.cursor }, toDelivery);
  }

  async replay(id: string, now = Date.now()): Promise<WebhookDelivery | null> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now, delivered_at: null })
      .where('session', '=', this.session)
      .where('id', '=', id)
      .where('status', '!=', 'pending')
      .execute();
    return this.get(id);
  }

  async purgeFinished(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('session', '=', this.session)
      .where('status', 'in', ['delivered', 'failed'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** This session's pending deliveries, less the ids already being worked on. */
  private pending(exclude: readonly string[]) {
    return (
      this.db
        .selectFrom('webhook_deliveries')
        .where('session', '=', this.session)
        .where('status', '=', 'pending')
        // `NOT IN ()` is not SQL: an empty list adds no condition.
        .$if(exclude.length > 0, (qb) => qb.where('id', 'not in', exclude))
    );
  }
}
