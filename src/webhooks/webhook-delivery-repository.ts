/**
 * The persisted webhook delivery queue: one row per (event, URL), so a receiver that is down keeps
 * its events across gateway restarts, and an operator can see and replay what failed.
 */
import { keysetPage, type Page } from '../store/cursor.js';
import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATUSES)[number];

export interface NewWebhookDelivery {
  eventId: string;
  eventType: string;
  url: string;
  /** The exact JSON body sent on every attempt. */
  payload: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  url: string;
  payload: string;
  status: DeliveryState;
  attempts: number;
  /** Epoch ms; null once delivered or failed. */
  nextAttemptAt: number | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface DeliveryQuery {
  status?: DeliveryState;
  eventType?: string;
  url?: string;
  /** 1..200, default 50. */
  limit?: number;
  cursor?: string;
}

export type DeliveryPage = Page<WebhookDelivery>;

export interface AttemptFailure {
  at: number;
  error: string;
  statusCode?: number | null;
  /** When to try again; null gives up (status → failed). */
  nextAttemptAt: number | null;
}

export interface WebhookDeliveryRepository {
  /** All deliveries of one event in one transaction, due at `now`. */
  enqueue(deliveries: NewWebhookDelivery[], now?: number): Promise<WebhookDelivery[]>;
  /** Pending deliveries due at `now`, oldest first, skipping ids already being worked on. */
  due(now: number, limit: number, exclude?: readonly string[]): Promise<WebhookDelivery[]>;
  /** The earliest next_attempt_at among pending deliveries, skipping ids already being worked on. */
  nextDueAt(exclude?: readonly string[]): Promise<number | null>;
  /** Deliveries still to be made (first attempt or retry). */
  countPending(): Promise<number>;
  markDelivered(id: string, at: number, statusCode: number): Promise<void>;
  markAttemptFailed(id: string, failure: AttemptFailure): Promise<void>;
  get(id: string): Promise<WebhookDelivery | null>;
  list(query?: DeliveryQuery): Promise<DeliveryPage>;
  /** A failed (or delivered) delivery becomes pending again with a fresh attempt budget; null if unknown. */
  replay(id: string, now?: number): Promise<WebhookDelivery | null>;
  /** Removes delivered and failed deliveries last updated before `before`. */
  purgeFinished(before: number): Promise<number>;
}

export interface DeliveryRow {
  seq: number;
  id: string;
  event_id: string;
  event_type: string;
  url: string;
  payload: string;
  status: DeliveryState;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  last_status_code: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** A webhook_deliveries row as both stores read it. */
export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    url: row.url,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

export class SqliteWebhookDeliveryRepository implements WebhookDeliveryRepository {
  private readonly sql: StatementCache;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  async enqueue(deliveries: NewWebhookDelivery[], now = Date.now()): Promise<WebhookDelivery[]> {
    const insert = this.sql.prepare(
      `INSERT INTO webhook_deliveries (id, event_id, event_type, url, payload, status, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    );
    return this.db.transaction(() =>
      deliveries.map((d) => {
        const id = randomUUID();
        insert.run(id, d.eventId, d.eventType, d.url, d.payload, now, now, now);
        return this.mustGet(id);
      }),
    )();
  }

  async due(now: number, limit: number, exclude: readonly string[] = []): Promise<WebhookDelivery[]> {
    const rows = this.sql
      .prepare(
        `SELECT * FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ? AND id NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_attempt_at, seq LIMIT ?`,
      )
      .all(now, JSON.stringify(exclude), limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async nextDueAt(exclude: readonly string[] = []): Promise<number | null> {
    const row = this.sql
      .prepare("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' AND id NOT IN (SELECT value FROM json_each(?))")
      .get(JSON.stringify(exclude)) as { at: number | null };
    return row.at;
  }

  async countPending(): Promise<number> {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'").get() as { n: number }).n;
  }

  async markDelivered(id: string, at: number, statusCode: number): Promise<void> {
    this.sql
      .prepare(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL,
           last_status_code = ?, delivered_at = ?, updated_at = ? WHERE id = ?`,
      )
      .run(statusCode, at, at, id);
  }

  async markAttemptFailed(id: string, failure: AttemptFailure): Promise<void> {
    this.sql
      .prepare(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, last_status_code = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(failure.nextAttemptAt === null ? 'failed' : 'pending', failure.nextAttemptAt, failure.error, failure.statusCode ?? null, failure.at, id);
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const row = this.sql.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? toDelivery(row) : null;
  }

  async list(query: DeliveryQuery = {}): Promise<DeliveryPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 200);
    return keysetPage<DeliveryRow, WebhookDelivery>(
      this.sql,
      'webhook_deliveries',
      [
        ['status = @status', 'status', query.status],
        ['event_type = @eventType', 'eventType', query.eventType],
        ['url = @url', 'url', query.url],
      ],
      { limit, cursor: query.cursor },
      toDelivery,
    );
  }

  async replay(id: string, now = Date.now()): Promise<WebhookDelivery | null> {
    this.sql
      .prepare(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, delivered_at = NULL
         WHERE id = ? AND status != 'pending'`,
      )
      .run(now, now, id);
    return this.get(id);
  }

  async purgeFinished(before: number): Promise<number> {
    return this.sql.prepare("DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < ?").run(before).changes;
  }

  private mustGet(id: string): WebhookDelivery {
    const row = this.sql.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    if (!row) throw new Error(`webhook delivery ${id} vanished`);
    return toDelivery(row);
  }
}
