/**
 * The shared store of one session (cluster mode; see session-stores.ts): loaded with the cluster
 * code only, so an embedded gateway never loads Kysely and these repositories (idle memory).
 */
import type { Kysely } from 'kysely';
import { KyselyMessageChangeRepository } from '../changes/kysely-message-change-repository.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { KyselyIdempotencyRepository } from '../http/kysely-idempotency-repository.js';
import { KyselyPollRepository } from '../kinds/kysely-poll-repository.js';
import { KyselyOutboxRepository } from '../outbox/kysely-outbox-repository.js';
import { KyselyIncomingMessageRepository } from '../records/kysely-incoming-message-repository.js';
import { KyselyMessageRepository } from '../records/kysely-message-repository.js';
import { KyselyRetryCounterRepository, KyselySentContentRepository } from '../records/kysely-sent-content-repository.js';
import { KyselyWebhookDeliveryRepository } from '../webhooks/kysely-webhook-delivery-repository.js';
import { KyselyRestrictionStore } from '../messaging/kysely-restriction-store.js';
import { RETRY_COUNTER_TTL_MS, type SessionStores } from './session-stores.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';

/**
 * The shared store, every query scoped by `session`; the retry counters are read once here.
 * `nodeId` (cluster mode) is recorded on the idempotency keys this node's requests claim;
 * `announceRestriction` tells the other nodes to read the account restriction again.
 */
export async function sharedStores(
  db: Kysely<StoreSchema>,
  session: string,
  cipher: ContentCipher,
  options: { announceRestriction?: () => Promise<void>; nodeId?: string | null } = {},
): Promise<SessionStores> {
  const retryCounters = await KyselyRetryCounterRepository.load(db, session, RETRY_COUNTER_TTL_MS);
  const restrictions = await KyselyRestrictionStore.load(db, session, { onWritten: options.announceRestriction });
  return {
    messages: new KyselyMessageRepository(db, session),
    idempotency: new KyselyIdempotencyRepository(db, session, undefined, options.nodeId ?? null),
    webhookDeliveries: new KyselyWebhookDeliveryRepository(db, session),
    incoming: new KyselyIncomingMessageRepository(db, session),
    changes: new KyselyMessageChangeRepository(db, session),
    polls: new KyselyPollRepository(db, session),
    sentContent: new KyselySentContentRepository(db, session, cipher),
    retryCounters,
    outbox: (limits) => new KyselyOutboxRepository(db, session, limits),
    restrictions,
    // The counters and a restriction are written behind; the next owner reads them, so they are flushed first.
    close: async () => {
      await Promise.all([retryCounters.flush(), restrictions.flush()]);
    },
  };
}
