import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { KyselyWebhookDeliveryRepository } from '../../src/webhooks/kysely-webhook-delivery-repository.js';
import { SqliteWebhookDeliveryRepository, type WebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { WebhookConfigError, WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { connectionUpdateEvent, createEvent } from '../../src/webhooks/events.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { STORES, useRepository } from '../support/store-implementations.js';
import { startReceiver, waitFor } from './receiver.js';

const secret = 'whsec-test';
const statusEvent = () =>
  createEvent('message.status', { id: 'm1', message_id: 'W1', jid: '628@s.whatsapp.net', phone: '628', status: 'delivered', error: null, error_code: null });

describe.each(STORES)('WebhookDispatcher on %s', (store) => {
  let repository: WebhookDeliveryRepository;
  const cleanups: (() => Promise<void> | void)[] = [];

  // Declared before the store's hooks, so dispatchers stop before their database closes.
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const fixture = useRepository<WebhookDeliveryRepository>(store, {
    embedded: (db) => new SqliteWebhookDeliveryRepository(db),
    shared: (db, session) => new KyselyWebhookDeliveryRepository(db, session),
  });
  beforeEach(() => {
    repository = fixture().repo;
  });

  function dispatcher(options: Partial<WebhookDispatcherOptions> & { urls: string[] }): WebhookDispatcher {
    const d = new WebhookDispatcher({
      repository,
      secret,
      backoff: { baseMs: 10, maxMs: 40 },
      random: () => 1,
      timeoutMs: 2000,
      ...options,
    });
    cleanups.push(() => d.stop());
    return d;
  }

  async function receiver(...args: Parameters<typeof startReceiver>) {
    const r = await startReceiver(...args);
    cleanups.push(r.close);
    return r;
  }

  test('refuses to start without a secret or with a bad URL', () => {
    expect(() => new WebhookDispatcher({ repository, urls: ['http://127.0.0.1/x'], secret: '' })).toThrow(WebhookConfigError);
    expect(() => new WebhookDispatcher({ repository, urls: ['http://127.0.0.1/x'], secret: '' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => new WebhookDispatcher({ repository, urls: [], secret })).toThrow(/at least one URL/);
    expect(() => new WebhookDispatcher({ repository, urls: ['ftp://x/'], secret })).toThrow(/http or https/);
    expect(() => new WebhookDispatcher({ repository, urls: ['not a url'], secret })).toThrow(/not a valid URL/);
  });

  test('POSTs the event as JSON to every URL, signed so the receiver can verify it', async () => {
    const one = await receiver();
    const two = await receiver();
    const d = dispatcher({ urls: [one.url, two.url] });
    d.start();
    const event = connectionUpdateEvent({
      connected: true,
      phase: 'open',
      connectionAttempts: 0,
      maxAttempts: 5,
      running: true,
      slowRetry: false,
      account: { jid: '628:1@s.whatsapp.net' },
    });
    await d.publish(event);
    await waitFor(() => one.requests.length === 1 && two.requests.length === 1);

    const request = one.requests[0]!;
    expect(JSON.parse(request.body)).toEqual(event);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-webhook-id': event.id,
      'x-webhook-event': 'connection.update',
      'x-webhook-attempt': '1',
    });
    const verdict = verifyWebhookSignature(
      secret,
      { timestamp: request.headers['x-webhook-timestamp'] as string, signature: request.headers['x-webhook-signature'] as string },
      request.body,
    );
    expect(verdict).toEqual({ valid: true });
    await waitFor(async () => (await repository.list({ status: 'delivered' })).total === 2);
  });

  test('a receiver that fails three times (500) gets the event on the fourth try, same id each time', async () => {
    const hook = await receiver((_req, i) => ({ status: i < 3 ? 500 : 200 }));
    const d = dispatcher({ urls: [hook.url] });
    d.start();
    const event = statusEvent();
    const [delivery] = await d.publish(event);
    await waitFor(async () => (await repository.get(delivery!.id))?.status === 'delivered');

    expect(hook.requests.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(hook.requests.map((r) => r.headers['x-webhook-id']))).toEqual(new Set([event.id]));
    // Backoff grows between attempts (10, 20, 40 ms with this config).
    const gaps = hook.requests.slice(1).map((r, i) => r.at - hook.requests[i]!.at);
    expect(gaps[2]!).toBeGreaterThanOrEqual(30);
    expect(await repository.get(delivery!.id)).toMatchObject({ attempts: 4, lastStatusCode: 200, lastError: null });
  });

  test('a dispatcher restarted mid-retry (database closed and reopened) still delivers', async () => {
    let healthy = false;
    const hook = await receiver(() => ({ status: healthy ? 204 : 503 }));
    const first = new WebhookDispatcher({ repository, urls: [hook.url], secret, backoff: { baseMs: 150, maxMs: 150 }, random: () => 1 });
    first.start();
    const [delivery] = await first.publish(statusEvent());
    await waitFor(async () => (await repository.get(delivery!.id))?.attempts === 1);
    await first.stop();
    expect(await repository.get(delivery!.id)).toMatchObject({ status: 'pending', lastStatusCode: 503, lastError: 'HTTP 503' });

    healthy = true;
    repository = await fixture().reopen();
    const second = dispatcher({ urls: [hook.url] });
    second.start();
    await waitFor(async () => (await repository.get(delivery!.id))?.status === 'delivered');
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[1]!.at - hook.requests[0]!.at).toBeGreaterThanOrEqual(140);
  });

  test('after maxAttempts the delivery is failed; a replay delivers it', async () => {
    let healthy = false;
    const hook = await receiver(() => ({ status: healthy ? 200 : 500 }));
    const d = dispatcher({ urls: [hook.url], maxAttempts: 2 });
    d.start();
    const [delivery] = await d.publish(statusEvent());
    await waitFor(async () => (await repository.get(delivery!.id))?.status === 'failed');
    expect(await repository.get(delivery!.id)).toMatchObject({ attempts: 2, nextAttemptAt: null, lastError: 'HTTP 500' });
    expect(hook.requests).toHaveLength(2);

    healthy = true;
    expect(await d.replay(delivery!.id)).toMatchObject({ status: 'pending' });
    await waitFor(async () => (await repository.get(delivery!.id))?.status === 'delivered');
    expect(hook.requests).toHaveLength(3);
  });

  test('timeouts and refused connections count as failed attempts', async () => {
    // The bound is wide enough that a refused connection fails before it even on a loaded machine
    // (CI once saw the refusal take over 50 ms), and the slow receiver answers well after it.
    const slow = await receiver(() => ({ status: 200, delayMs: 5000 }));
    const dead = await receiver();
    const deadUrl = dead.url;
    await dead.close();
    const d = dispatcher({ urls: [slow.url, deadUrl], maxAttempts: 1, timeoutMs: 1000 });
    d.start();
    await d.publish(statusEvent());
    await waitFor(async () => (await repository.list({ status: 'failed' })).total === 2);
    const failures = (await repository.list({ status: 'failed' })).items;
    expect(failures.find((f) => f.url === slow.url)?.lastError).toBe('timed out after 1000 ms');
    expect(failures.find((f) => f.url === deadUrl)?.lastError).toMatch(/fetch failed/);
  });

  test('deliveries published before start wait for it; stop() waits for the delivery in flight', async () => {
    const hook = await receiver(() => ({ status: 200, delayMs: 100 }));
    const d = dispatcher({ urls: [hook.url] });
    const [delivery] = await d.publish(statusEvent());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(hook.requests).toHaveLength(0);

    d.start();
    await waitFor(() => hook.requests.length === 1);
    expect((await repository.get(delivery!.id))?.status).toBe('pending');
    await d.stop();
    expect((await repository.get(delivery!.id))?.status).toBe('delivered');
  });

  test('honours Retry-After from a 429, within the backoff cap', async () => {
    const hook = await receiver((_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const d = dispatcher({ urls: [hook.url], backoff: { baseMs: 10, maxMs: 120 } });
    d.start();
    const [delivery] = await d.publish(statusEvent());
    await waitFor(async () => (await repository.get(delivery!.id))?.status === 'delivered');
    expect(hook.requests[1]!.at - hook.requests[0]!.at).toBeGreaterThanOrEqual(110);
  });
});
