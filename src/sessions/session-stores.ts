/**
 * Where one session's data lives: the seam between the services and the two stores. Embedded
 * (the default): the session's own SQLite file, exactly the repositories the gateway always used.
 * Shared (cluster mode, DATABASE_URL): the Kysely repositories over the one database every node
 * uses, each scoped by the session's name, so the node that takes a session over sees its
 * records, outbox, idempotency keys, webhook log, polls and sent content (shared-stores.ts, its own
 * module so that an embedded gateway never loads Kysely and those repositories: idle memory).
 *
 * Shared too: the account restriction (one row per session), and the media of sends routed from
 * another node (`outbox_media`). Not shared: media the driving node queued for itself (its spool).
 */
import { SqliteMessageChangeRepository, type MessageChangeRepository } from '../changes/message-change-repository.js';
import { SqliteIdempotencyRepository, type IdempotencyRepository } from '../http/idempotency-repository.js';
import { SqlitePollRepository } from '../kinds/poll-repository.js';
import type { PollStore } from '../kinds/poll-store.js';
import type { OutboxLimits, OutboxRepository } from '../outbox/outbox-repository.js';
import { SqliteOutboxRepository } from '../outbox/sqlite-outbox-repository.js';
import { SqliteIncomingMessageRepository, type IncomingMessageRepository } from '../records/incoming-message-repository.js';
import type { MessageRepository } from '../records/message-repository.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../records/sent-content-repository.js';
import { SqliteMessageRepository } from '../records/sqlite-message-repository.js';
import type { SqliteDatabase } from '../store/database.js';
import { SqliteWebhookDeliveryRepository, type WebhookDeliveryRepository } from '../webhooks/webhook-delivery-repository.js';
import type { RetryCounterStore, SentContentStore } from '../whatsapp/sent-content.js';
import { SqliteRestrictionStore, type RestrictionStore } from '../messaging/restriction-store.js';
import type { SendRouting } from '../messaging/send-routing.js';

export interface SessionStores {
  messages: MessageRepository;
  idempotency: IdempotencyRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  incoming: IncomingMessageRepository;
  changes: MessageChangeRepository;
  polls: PollStore;
  /** Sealed with the content key: the transport (retry receipts) and replies read the same store. */
  sentContent: SentContentStore & { purgeBefore(before: number): Promise<number> };
  /** Baileys' retry counters (read synchronously by the transport). */
  retryCounters: RetryCounterStore & { purgeExpired(): number | Promise<number> };
  outbox(limits: OutboxLimits): OutboxRepository;
  /** The account restriction and the established chats (sync answers; see restriction-store.ts). */
  restrictions: RestrictionStore;
  /** Cluster mode: sends accepted while another node drives the session, waiting up to `waitMs` for its result. */
  routing?: (waitMs: number) => SendRouting;
  /** After the socket and the services stopped: writes still pending are done. */
  close(): Promise<void>;
}

/** Baileys' own retry counter cache forgets after an hour; ours too, but across restarts. */
export const RETRY_COUNTER_TTL_MS = 60 * 60 * 1000;

/** The session's own SQLite file: the gateway's repositories as they always were. */
export function embeddedStores(db: SqliteDatabase, cipher?: ContentCipher): SessionStores {
  return {
    messages: new SqliteMessageRepository(db),
    idempotency: new SqliteIdempotencyRepository(db),
    webhookDeliveries: new SqliteWebhookDeliveryRepository(db),
    incoming: new SqliteIncomingMessageRepository(db),
    changes: new SqliteMessageChangeRepository(db),
    polls: new SqlitePollRepository(db),
    sentContent: new SqliteSentContentRepository(db, cipher),
    retryCounters: new SqliteRetryCounterRepository(db, RETRY_COUNTER_TTL_MS),
    outbox: (limits) => new SqliteOutboxRepository(db, limits),
    restrictions: new SqliteRestrictionStore(db),
    close: async () => {},
  };
}
