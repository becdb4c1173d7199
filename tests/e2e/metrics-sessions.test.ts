/**
 * GET /metrics in a gateway serving two sessions: one document for the process (the process
 * metrics once), every gateway series labelled with its session, a session's requests counted
 * under the account route's template and its own name, and a deleted session's series gone.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, waitFor } from './support/harness.js';

const ADMIN = 'metrics-admin-key-0123456789abcdef';

/** The value of one series (labels matched as a subset), or undefined when it is absent. */
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

describe('GET /metrics with several sessions', () => {
  let h: E2EHarness;
  const admin = { 'X-API-Key': ADMIN };
  const scrape = async () => (await h.api.get('/metrics').set(admin).expect(200)).text;

  beforeAll(async () => {
    h = await E2EHarness.start({ env: { API_KEY: ADMIN } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test("one document: process metrics once, each session's series under its own label", async () => {
    const qr = await waitFor(async () => {
      const res = await h.api.get('/api/qr').set(admin);
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await h.emu.scanQr(qr);
    await waitFor(async () => (await h.api.get('/api/status').set(admin)).body.bot_connected === true, 10_000, 'default linked');
    await h.api.post('/api/sessions').set(admin).send({ name: 'sales' }).expect(201);
    await waitFor(async () => (await h.api.get('/api/sessions/sales').set(admin)).body.connection?.state === 'awaiting_qr', 10_000, 'sales offering a QR');
    const before = await scrape();
    const defaultStatusBefore =
      sample(before, 'wa_gateway_http_requests_total', { session: 'default', method: 'GET', route: '/api/status', status: '200' }) ?? 0;

    await h.api.get('/api/sessions/sales/status').set(admin).expect(200);
    await h.api.get('/api/sessions/sales/status').set(admin).expect(200);
    await h.api.get('/api/status').set(admin).expect(200);
    const text = await scrape();

    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(sample(text, 'wa_gateway_connected', { session: 'default' })).toBe(1);
    expect(sample(text, 'wa_gateway_connected', { session: 'sales' })).toBe(0);
    expect(sample(text, 'wa_gateway_connection_state', { session: 'default', state: 'open' })).toBe(1);
    expect(sample(text, 'wa_gateway_connection_state', { session: 'sales', state: 'awaiting_qr' })).toBe(1);
    expect(sample(text, 'wa_gateway_outbox_messages', { session: 'sales' })).toBe(0);
    // A session's route counts under the account route's template, labelled with the session.
    expect(sample(text, 'wa_gateway_http_requests_total', { session: 'sales', method: 'GET', route: '/api/status', status: '200' })).toBe(2);
    expect(sample(text, 'wa_gateway_http_requests_total', { session: 'default', method: 'GET', route: '/api/status', status: '200' })).toBe(
      defaultStatusBefore + 1,
    );
    expect(text).not.toContain('/api/sessions/sales');
  });

  test("a deleted session's series are gone; default's stay", async () => {
    await h.api.delete('/api/sessions/sales').set(admin).expect(200);
    const text = await scrape();
    expect(text).not.toContain('session="sales"');
    expect(sample(text, 'wa_gateway_connected', { session: 'default' })).toBe(1);
    expect(sample(text, 'wa_gateway_http_requests_total', { session: 'default', method: 'GET', route: '/api/status', status: '200' })).toBeGreaterThan(0);
  });
});
