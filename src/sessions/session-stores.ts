/**
 * Where one session's data lives: the seam between the services and the two stores. Embedded
 * (the default): the session's own SQLite file, exactly the repositories the gateway always used.
 * Shared (cluster mode, DATABASE_URL): the Kysely repositories over the one database every node
 * uses, each scoped by the session's name, so the node that takes a session over sees its
 * records, outbox, idempotency keys, webhook log, polls and sent content.
 *
 * Not shared yet: account restrictions (no Kysely repository) and the outbox's media files, which
 * stay on the disk of the node that accepted the send.
 */
import type { Kysely } from 'kysely';
import { KyselyMessageChangeRepository } from '../changes/kysely-message-change-repository.js';
import { SqliteMessageChangeRepository, type MessageChangeRepository } from '../changes/message-change-repository.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { SqliteIdempotencyRepository, type IdempotencyRepository } from '../http/idempotency-repository.js';
import { KyselyIdempotencyRepository } from '../http/kysely-idempotency-repository.js';
import { KyselyPollRepository } from '../kinds/kysely-poll-repository.js';
import { SqlitePollRepository } from '../kinds/poll-repository.js';
import type { PollStore } from '../kinds/poll-store.js';
import { KyselyOutboxRepository } from '../outbox/kysely-outbox-repository.js';
import type { OutboxLimits, OutboxRepository } from '../outbox/outbox-repository.js';
import { SqliteOutboxRepository } from '../outbox/sqlite-outbox-repository.js';
import { SqliteIncomingMessageRepository, type IncomingMessageRepository } from '../records/incoming-message-repository.js';
import { KyselyIncomingMessageRepository } from '../records/kysely-incoming-message-repository.js';
import { KyselyMessageRepository } from '../records/kysely-message-repository.js';
import { KyselyRetryCounterRepository, KyselySentContentRepository } from '../records/kysely-sent-content-repository.js';
import type { MessageRepository } from '../records/message-repository.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../records/sent-content-repository.js';
import { SqliteMessageRepository } from '../records/sqlite-message-repository.js';
import type { SqliteDatabase } from '../store/database.js';
import { KyselyWebhookDeliveryRepository } from '../webhooks/kysely-webhook-delivery-repository.js';
import { SqliteWebhookDeliveryRepository, type WebhookDeliveryRepository } from '../webhooks/webhook-delivery-repository.js';
import type { RetryCounterStore, SentContentStore } from '../whatsapp/sent-content.js';
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
    close: async () => {},
  };
}

/**
 * The shared store, every query scoped by `session`; the retry counters are read once here.
 * `nodeId` (cluster mode) is recorded on the idempotency keys this node's requests claim.
 */
export async function sharedStores(db: Kysely<StoreSchema>, session: string, cipher: ContentCipher, nodeId: string | null = null): Promise<SessionStores> {
  const retryCounters = await KyselyRetryCounterRepository.load(db, session, RETRY_COUNTER_TTL_MS);
  return {
    messages: new KyselyMessageRepository(db, session),
    idempotency: new KyselyIdempotencyRepository(db, session, undefined, nodeId),
    webhookDeliveries: new KyselyWebhookDeliveryRepository(db, session),
    incoming: new KyselyIncomingMessageRepository(db, session),
    changes: new KyselyMessageChangeRepository(db, session),
    polls: new KyselyPollRepository(db, session),
    sentContent: new KyselySentContentRepository(db, session, cipher),
    retryCounters,
    outbox: (limits) => new KyselyOutboxRepository(db, session, limits),
    // The counters are written behind; the next owner reads them, so they are flushed first.
    close: () => retryCounters.flush(),
  };
}
