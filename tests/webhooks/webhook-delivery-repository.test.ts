import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { InvalidCursorError } from '../../src/store/cursor.js';
import { SqliteWebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { tempDatabase } from '../store/temp-db.js';

describe('SqliteWebhookDeliveryRepository', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let repo: SqliteWebhookDeliveryRepository;
  beforeEach(() => {
    tmp = tempDatabase('wa-deliveries-');
    repo = new SqliteWebhookDeliveryRepository(tmp.db);
  });
  afterEach(() => tmp.cleanup());

  const event = (eventId: string, urls: string[]) => urls.map((url) => ({ eventId, eventType: 'message.status', url, payload: `{"id":"${eventId}"}` }));

  test('due, retry scheduling, give-up, filters, pagination and replay', async () => {
    const [a, b] = await repo.enqueue(event('e1', ['http://a', 'http://b']), 100);
    await repo.enqueue(event('e2', ['http://a']), 200);
    expect((await repo.due(150, 10)).map((d) => d.id)).toEqual([a!.id, b!.id]);
    expect((await repo.due(250, 10, [a!.id])).map((d) => d.eventId)).toEqual(['e1', 'e2']);

    await repo.markAttemptFailed(a!.id, { at: 300, error: 'HTTP 500', statusCode: 500, nextAttemptAt: 1300 });
    await repo.markDelivered(b!.id, 300, 204);
    expect(await repo.get(a!.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: 1300, lastError: 'HTTP 500', lastStatusCode: 500 });
    expect(await repo.nextDueAt()).toBe(200);
    await repo.markAttemptFailed(a!.id, { at: 1300, error: 'timeout', nextAttemptAt: null });
    expect(await repo.get(a!.id)).toMatchObject({ status: 'failed', attempts: 2, nextAttemptAt: null, lastStatusCode: null });

    expect((await repo.list({ status: 'failed' })).items.map((d) => d.id)).toEqual([a!.id]);
    expect((await repo.list({ url: 'http://a' })).total).toBe(2);
    const page1 = await repo.list({ limit: 2 });
    expect(page1.items.map((d) => d.eventId)).toEqual(['e2', 'e1']);
    const page2 = await repo.list({ limit: 2, cursor: page1.nextCursor! });
    expect(page2).toMatchObject({ items: [{ eventId: 'e1' }], nextCursor: null, total: 3 });
    await expect(repo.list({ cursor: '!!' })).rejects.toBeInstanceOf(InvalidCursorError);

    expect(await repo.replay(a!.id, 5000)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: 5000 });
    expect(await repo.replay('missing')).toBeNull();
    expect(await repo.purgeFinished(10_000)).toBe(1);
    expect(await repo.get(b!.id)).toBeNull();
  });
});
