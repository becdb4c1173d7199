/**
 * The webhook delivery queue on every store: the embedded SQLite file the gateway uses today and
 * the shared store through Kysely on SQLite and on PostgreSQL (same cases, same answers).
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { InvalidCursorError } from '../../src/store/cursor.js';
import { KyselyWebhookDeliveryRepository } from '../../src/webhooks/kysely-webhook-delivery-repository.js';
import { SqliteWebhookDeliveryRepository, type WebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { STORES, useRepository } from '../support/store-implementations.js';

describe.each(STORES)('webhook deliveries on %s', (store) => {
  const fixture = useRepository<WebhookDeliveryRepository>(store, {
    embedded: (db) => new SqliteWebhookDeliveryRepository(db),
    shared: (db, session) => new KyselyWebhookDeliveryRepository(db, session),
  });
  let repo: WebhookDeliveryRepository;
  beforeEach(() => {
    repo = fixture().repo;
  });

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

  test('an enqueued delivery reads back whole, in the order given; counts and the next due time', async () => {
    expect(await repo.enqueue([], 50)).toEqual([]);
    expect(await repo.nextDueAt()).toBeNull();
    const urls = ['http://c', 'http://a', 'http://b', 'http://d'];
    const made = await repo.enqueue(event('e1', urls), 100);
    expect(made.map((d) => d.url)).toEqual(urls);
    expect(made[0]).toEqual({
      id: expect.any(String),
      eventId: 'e1',
      eventType: 'message.status',
      url: 'http://c',
      payload: '{"id":"e1"}',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: 100,
      lastError: null,
      lastStatusCode: null,
      createdAt: 100,
      updatedAt: 100,
      deliveredAt: null,
    });
    expect(await repo.get(made[0]!.id)).toEqual(made[0]);
    expect(await repo.countPending()).toBe(4);
    expect(await repo.nextDueAt(made.slice(0, 3).map((d) => d.id))).toBe(100);
    expect(await repo.nextDueAt(made.map((d) => d.id))).toBeNull();
    expect(await repo.due(99, 10)).toEqual([]);
    await repo.markDelivered(made[1]!.id, 150, 200);
    expect(await repo.get(made[1]!.id)).toMatchObject({ status: 'delivered', attempts: 1, deliveredAt: 150, updatedAt: 150, lastStatusCode: 200 });
    // A pending delivery is not replayed (its attempts stay).
    await repo.markAttemptFailed(made[2]!.id, { at: 160, error: 'x', nextAttemptAt: 500 });
    expect(await repo.replay(made[2]!.id, 170)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: 500 });
    expect(await repo.countPending()).toBe(3);
    // Finished before `before` only: delivered at 150 is not purged by 150.
    expect(await repo.purgeFinished(150)).toBe(0);
    expect(await repo.purgeFinished(151)).toBe(1);
  });

  test("sessions do not see each other's deliveries", async () => {
    const sales = await fixture().otherSession('sales');
    const [mine] = await repo.enqueue(event('e1', ['http://a']), 100);
    const [theirs] = await sales.enqueue(event('e9', ['http://a']), 100);
    expect((await repo.due(1000, 10)).map((d) => d.id)).toEqual([mine!.id]);
    expect(await sales.get(mine!.id)).toBeNull();
    expect(await repo.countPending()).toBe(1);
    await sales.markDelivered(mine!.id, 200, 204);
    await sales.markAttemptFailed(mine!.id, { at: 200, error: 'x', nextAttemptAt: null });
    expect(await repo.get(mine!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    await repo.markDelivered(mine!.id, 200, 204);
    await sales.markAttemptFailed(theirs!.id, { at: 200, error: 'x', nextAttemptAt: null });
    expect(await sales.replay(mine!.id)).toBeNull();
    expect(await repo.list({ url: 'http://a' })).toMatchObject({ total: 1, items: [{ eventId: 'e1' }] });
    expect(await sales.list()).toMatchObject({ total: 1, items: [{ eventId: 'e9' }] });
    expect(await sales.nextDueAt()).toBeNull();
    expect(await repo.purgeFinished(1000)).toBe(1);
    expect(await sales.get(theirs!.id)).toMatchObject({ status: 'failed' });
  });
});
