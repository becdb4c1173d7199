/**
 * The content kept for retry receipts is deleted by the retention pass (run at start and hourly):
 * after MESSAGE_CONTENT_RETENTION days, 7 by default. Expired retry counters go with it.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { SqliteMessageChangeRepository } from '../../src/changes/message-change-repository.js';
import { loadConfig } from '../../src/config/config.js';
import { SqliteIdempotencyRepository } from '../../src/http/idempotency-repository.js';
import { SqliteIncomingMessageRepository } from '../../src/records/incoming-message-repository.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { purger } from '../../src/retention.js';
import { SqliteWebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { encodeSentContent } from '../../src/whatsapp/baileys/retry-receipts.js';
import { tempDatabase } from '../store/temp-db.js';

const DAY = 24 * 60 * 60 * 1000;
let tmp: ReturnType<typeof tempDatabase>;
beforeEach(() => {
  tmp = tempDatabase('wa-content-retention-');
});
afterEach(() => tmp.cleanup());

function purgeWith(env: Record<string, string>) {
  const { db } = tmp;
  return purger(loadConfig(env), {
    idempotency: new SqliteIdempotencyRepository(db),
    incoming: new SqliteIncomingMessageRepository(db),
    webhookDeliveries: new SqliteWebhookDeliveryRepository(db),
    sentContent: new SqliteSentContentRepository(db),
    retryCounters: new SqliteRetryCounterRepository(db, 0),
    messages: new SqliteMessageRepository(db),
    changes: new SqliteMessageChangeRepository(db),
  });
}

describe('sent content retention', () => {
  test('by default content older than 7 days is deleted and younger content kept', async () => {
    const store = new SqliteSentContentRepository(tmp.db);
    const now = Date.now();
    await store.save({ waMessageId: 'EIGHT_DAYS', jid: 'a@s.whatsapp.net', content: encodeSentContent({ conversation: 'old' }), at: now - 8 * DAY });
    await store.save({ waMessageId: 'SIX_DAYS', jid: 'a@s.whatsapp.net', content: encodeSentContent({ conversation: 'recent' }), at: now - 6 * DAY });
    new SqliteRetryCounterRepository(tmp.db, -1).set('EIGHT_DAYS:a', 1); // already expired
    await purgeWith({})();
    expect(await store.find('EIGHT_DAYS')).toBeUndefined();
    expect(await store.find('SIX_DAYS')).toBeDefined();
    expect((tmp.db.prepare('SELECT COUNT(*) AS n FROM retry_counters').get() as { n: number }).n).toBe(0);
  });

  test('MESSAGE_CONTENT_RETENTION shortens it', async () => {
    const store = new SqliteSentContentRepository(tmp.db);
    await store.save({ waMessageId: 'TWO_DAYS', jid: 'a@s.whatsapp.net', content: encodeSentContent({ conversation: 'x' }), at: Date.now() - 2 * DAY });
    await purgeWith({ MESSAGE_CONTENT_RETENTION: '1' })();
    expect(await store.find('TWO_DAYS')).toBeUndefined();
  });
});

describe('edit and delete links', () => {
  test('a link whose action record never came is dropped after an hour; a fresh one and a complete one stay', async () => {
    const messages = new SqliteMessageRepository(tmp.db);
    const changes = new SqliteMessageChangeRepository(tmp.db);
    const record = (id: string) => ({
      id,
      waMessageId: `WA_${id}`,
      phone: '6281234567890',
      jid: '6281234567890@s.whatsapp.net',
      type: 'text' as const,
      summary: 'x',
      status: 'queued' as const,
    });
    await messages.create(record('target'));
    await messages.create(record('done'));
    const now = Date.now();
    await changes.add({ actionId: 'crashed', targetId: 'target', kind: 'edit', text: 'lost', at: new Date(now - 2 * 60 * 60 * 1000) });
    await changes.add({ actionId: 'in-progress', targetId: 'target', kind: 'edit', text: 'coming', at: new Date(now - 1000) });
    await changes.add({ actionId: 'done', targetId: 'target', kind: 'edit', text: 'kept', at: new Date(now - 2 * 60 * 60 * 1000) });
    await purgeWith({})();
    const left = tmp.db.prepare('SELECT action_id FROM message_changes ORDER BY action_id').all() as Array<{ action_id: string }>;
    expect(left.map((row) => row.action_id)).toEqual(['done', 'in-progress']);
  });
});
