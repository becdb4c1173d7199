/**
 * GET /metrics through the real app: behind the API key when one is set (a scraper sends Bearer),
 * never rate limited, one registry per app, and labels that name route templates, not the ids or
 * phone numbers of the requests.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const KEY = 'metrics-key-0123456789abcdef';
let t: TestApp;
let other: TestApp | undefined;
afterEach(async () => {
  await t?.cleanup();
  await other?.cleanup();
  other = undefined;
});

/** The value of one series in Prometheus' text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]+=)/);
    if (wanted.every((w) => present.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  test('is open without a key configured and speaks the Prometheus text format, process metrics included', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(res.text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(res.text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(res.text, 'wa_gateway_connected')).toBe(1);
    expect(sample(res.text, 'wa_gateway_connection_state', { state: 'open' })).toBe(1);
    expect(sample(res.text, 'wa_gateway_connection_state', { state: 'waiting_to_retry' })).toBe(0);
    // Every gateway series names its session; an app without sessions serves the default one.
    expect(sample(res.text, 'wa_gateway_connected', { session: 'default' })).toBe(1);
  });

  test('with a key: 401 without it, 200 with it as Bearer or X-API-Key', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const refused = await request(t.app).get('/metrics').expect(401);
    expect(refused.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', message: 'Unauthorized: Invalid or missing API key' });
    expect(refused.text).not.toContain('wa_gateway_');
    await request(t.app).get('/metrics').set('Authorization', 'Bearer wrong-key-0123456789abcdef').expect(401);
    await request(t.app).get('/metrics').set('Authorization', `Bearer ${KEY}`).expect(200);
    await request(t.app).get('/metrics').set('X-API-Key', KEY).expect(200);
  });

  test('is not rate limited, while the API is', async () => {
    t = await buildTestApp({ API_KEY: KEY, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' });
    for (let i = 0; i < 6; i++) await request(t.app).get('/metrics').set('Authorization', `Bearer ${KEY}`).expect(200);
    for (let i = 0; i < 2; i++) await request(t.app).get('/api/status').set('X-API-Key', KEY).expect(200);
    await request(t.app).get('/api/status').set('X-API-Key', KEY).expect(429);
  });

  test('counts HTTP requests by route template and status, never by id or phone number', async () => {
    t = await buildTestApp();
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'hello' }).expect(200);
    await request(t.app).get('/api/messages/not-a-real-id-qx').expect(404);
    await request(t.app).get('/api/messages/another-id-qy').expect(404);
    await request(t.app).get('/wp-login.php?user=6289999999999').expect(404);
    const text = (await request(t.app).get('/metrics').expect(200)).text;
    expect(sample(text, 'wa_gateway_http_requests_total', { session: 'default', method: 'POST', route: '/api/send-message', status: '200' })).toBe(1);
    expect(sample(text, 'wa_gateway_http_requests_total', { method: 'GET', route: '/api/messages/:id', status: '404' })).toBe(2);
    expect(sample(text, 'wa_gateway_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    for (const leaked of ['6281234567890', '6289999999999', 'not-a-real-id', 'another-id', 'wp-login']) expect(text).not.toContain(leaked);
  });

  test('counts messages by type and status, and failures by error code', async () => {
    t = await buildTestApp();
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'one' }).expect(200);
    const sent = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'two' }).expect(200);
    t.transport.events.emit('message-status', { messageId: sent.body.data.message_id, jid: '6281234567890@s.whatsapp.net', status: 'delivered' });
    t.transport.nextFailure = new Error('socket hung up');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'three' }).expect(500);
    t.transport.setPhase('waiting_to_retry');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'four' }).expect(503);

    let text = '';
    for (let i = 0; i < 50 && sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'delivered' }) !== 1; i++) {
      text = (await request(t.app).get('/metrics').expect(200)).text;
    }
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'accepted' })).toBe(3);
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'sent' })).toBe(2);
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'delivered' })).toBe(1);
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'failed' })).toBe(1);
    expect(sample(text, 'wa_gateway_message_failures_total', { type: 'text', code: 'SEND_FAILED' })).toBe(1);
    expect(sample(text, 'wa_gateway_send_duration_seconds_count', { type: 'text' })).toBe(2);
    expect(sample(text, 'wa_gateway_connected')).toBe(0);
  });

  test("WhatsApp's server ack counts once per message, however often it is reported", async () => {
    t = await buildTestApp();
    const sent = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'ack me' }).expect(200);
    const ack = { messageId: sent.body.data.message_id, jid: '6281234567890@s.whatsapp.net', status: 'sent' as const };
    t.transport.events.emit('message-status', ack);
    t.transport.events.emit('message-status', ack);
    let text = '';
    for (let i = 0; i < 50 && sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'acked' }) === undefined; i++) {
      text = (await request(t.app).get('/metrics').expect(200)).text;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // the second report, if it were counted
    text = (await request(t.app).get('/metrics').expect(200)).text;
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'acked' })).toBe(1);
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'sent' })).toBe(1);
  });

  test('a message the outbox queues counts as accepted once, with its record and job written together', async () => {
    t = await buildTestApp({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' });
    t.transport.setPhase('waiting_to_retry');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'later' }).expect(202);
    const text = (await request(t.app).get('/metrics').expect(200)).text;
    expect(sample(text, 'wa_gateway_messages_total', { type: 'text', status: 'accepted' })).toBe(1);
  });

  test('each app has its own registry', async () => {
    t = await buildTestApp();
    other = await buildTestApp();
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'one' }).expect(200);
    const mine = (await request(t.app).get('/metrics')).text;
    const theirs = (await request(other.app).get('/metrics')).text;
    expect(sample(mine, 'wa_gateway_messages_total', { type: 'text', status: 'accepted' })).toBe(1);
    expect(sample(theirs, 'wa_gateway_messages_total', { type: 'text', status: 'accepted' })).toBeUndefined();
  });
});
