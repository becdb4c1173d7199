/**
 * PostgreSQL LISTEN/NOTIFY for the cross-node outbox: a node wakes the owner of a session at once
 * instead of the owner polling. Notifications are a doorbell, not the data: the payload (at most
 * ~8000 bytes) names what to look at, the row itself lives in the outbox table. They are delivered
 * only after the sending transaction commits, and are LOST while the listening connection is down;
 * so after a reconnect the notifier calls its 'resync' listeners, which must re-read the outbox.
 *
 * PostgreSQL only: a SQLite install is one node, where an in-process event does the same job.
 */
import { EventEmitter } from 'node:events';
import { sql, type QueryExecutorProvider } from 'kysely';
import type pg from 'pg';
import { loadOnFirstUse } from '../load-on-first-use.js';
import type { Logger } from 'pino';

/** The `application_name` of the listening connection (pg_stat_activity). */
/** pg is for cluster mode only: an embedded gateway never loads it (idle memory). */
const loadPg = loadOnFirstUse<typeof pg>('pg');

export const LISTENER_APPLICATION_NAME = 'whatsapp-gateway-listen';

export type NotificationHandler = (payload: string) => void;

export interface NotifierOptions {
  logger?: Logger;
  /** Wait before reconnecting a lost listening connection (default 500 ms). */
  reconnectDelayMs?: number;
}

/** NOTIFY inside the caller's transaction (e.g. with the outbox insert): sent only if it commits. */
// Any schema (a Kysely instance or transaction): the statement touches no table.
export async function notifyIn(db: QueryExecutorProvider, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

export class Notifier extends EventEmitter<{ resync: []; error: [Error] }> {
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly options: NotifierOptions = {},
  ) {
    super();
  }

  /** Calls `handler` with each payload NOTIFYed on `channel`; resolves once listening. Returns unlisten. */
  async listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    const client = await this.connection();
    // (LISTEN twice on a brand-new connection, which already listens to every known channel, is a no-op.)
    if (first) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    return async () => {
      set.delete(handler);
      if (set.size > 0 || this.handlers.get(channel) !== set) return;
      this.handlers.delete(channel);
      if (this.client) await this.client.query(`UNLISTEN ${this.client.escapeIdentifier(channel)}`);
    };
  }

  /** NOTIFY outside any transaction (delivered at once). */
  async notify(channel: string, payload: string): Promise<void> {
    const client = await this.connection();
    await client.query('select pg_notify($1, $2)', [channel, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('notifier closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    // Named, so an operator (or a test) can tell the listening backend in pg_stat_activity.
    const client = new (loadPg().Client)({ connectionString: this.databaseUrl, application_name: LISTENER_APPLICATION_NAME });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) {
        try {
          handler(message.payload ?? '');
        } catch (err) {
          this.options.logger?.error({ err, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    this.client = client;
    return client;
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.options.logger?.warn({ err }, 'LISTEN connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      this.connection().then(
        () => this.emit('resync'),
        (err: Error) => {
          if (this.listenerCount('error') > 0) this.emit('error', err);
          this.scheduleReconnect();
        },
      );
    }, this.options.reconnectDelayMs ?? 500);
  }
}
