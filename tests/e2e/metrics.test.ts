/**
 * GET /metrics after real sends: the real Baileys socket, the emulator's receipts, real media
 * conversion and a real webhook receiver. Every counter is read before and after, so what is
 * checked is what these sends moved.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, waitFor } from './support/harness.js';
import { createMediaFiles, type MediaFiles } from './support/media-files.js';

const RECIPIENT = '6281234567890';

/** The value of one series in Prometheus' text format (0 when absent: a counter not yet moved). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]+=)/);
    if (wanted.every((w) => present.includes(w))) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics after sends through the emulator', () => {
  let h: E2EHarness;
  let receiver: Server;
  let files: MediaFiles;
  let dir: string;
  let webhookCalls = 0;
  const scrape = async () => (await h.api.get('/metrics').expect(200)).text;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wa-metrics-'));
    files = await createMediaFiles(dir);
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        webhookCalls += 1;
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as { port: number };
    h = await E2EHarness.start({
      emulator: { receipts: { deliver: true, delayMs: 50 } },
      env: {
        WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
        WEBHOOK_SECRET: 'metrics-test-secret-0123456789',
        QUEUE_WHEN_DISCONNECTED: 'true',
        PACING_RECIPIENT_INTERVAL_MS: '0',
        PACING_MAX_PER_MINUTE: '0',
      },
    });
  });

  afterAll(async () => {
    await h?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  test('counters move by what the sends, receipts, conversions and webhooks did', async () => {
    const before = await scrape();
    expect(sample(before, 'wa_gateway_connected')).toBe(0);
    await h.pair();
    const linked = await scrape();
    expect(sample(linked, 'wa_gateway_connected')).toBe(1);
    expect(sample(linked, 'wa_gateway_connection_state', { state: 'open' })).toBe(1);
    // Every pairing ends with WhatsApp's 515 "restart required", and the gateway reconnects.
    expect(sample(linked, 'wa_gateway_reconnects_total', { code: '515' })).toBe(1);

    const ids: string[] = [];
    for (const text of ['metrics one', 'metrics two']) {
      const res = await h.sendText(RECIPIENT, text).expect(200);
      ids.push((res.body as { data: { message_id: string } }).data.message_id);
    }
    await h.api.post('/api/send-image').field('phone', RECIPIENT).attach('file', files.png, 'dot.png').expect(200);
    for (const id of ids) await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    const first = ids[0] ?? '';
    await waitFor(
      async () => {
        const now = await scrape();
        return (
          sample(now, 'wa_gateway_messages_total', { type: 'text', status: 'delivered' }) === 2 &&
          sample(now, 'wa_gateway_messages_total', { type: 'image', status: 'delivered' }) === 1
        );
      },
      5000,
      'three delivery receipts',
    );
    h.emu.sendReceipt(first, 'read');
    await waitFor(async () => sample(await scrape(), 'wa_gateway_messages_total', { type: 'text', status: 'read' }) === 1, 5000, 'a read receipt');
    // The receiver counts a call when it arrives; the gateway counts it once the answer is back: wait for both to settle.
    await waitFor(
      async () => {
        const now = await scrape();
        return (
          webhookCalls > 0 &&
          sample(now, 'wa_gateway_webhook_backlog') === 0 &&
          sample(now, 'wa_gateway_webhook_deliveries_total', { outcome: 'delivered' }) === webhookCalls
        );
      },
      5000,
      'webhooks delivered',
    );

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('wa_gateway_messages_total', { type: 'text', status: 'accepted' })).toBe(2);
    expect(moved('wa_gateway_messages_total', { type: 'text', status: 'sent' })).toBe(2);
    expect(moved('wa_gateway_messages_total', { type: 'text', status: 'delivered' })).toBe(2);
    expect(moved('wa_gateway_messages_total', { type: 'text', status: 'read' })).toBe(1);
    expect(moved('wa_gateway_messages_total', { type: 'image', status: 'accepted' })).toBe(1);
    expect(moved('wa_gateway_messages_total', { type: 'image', status: 'sent' })).toBe(1);
    expect(moved('wa_gateway_messages_total', { type: 'text', status: 'failed' })).toBe(0);
    expect(moved('wa_gateway_send_duration_seconds_count', { type: 'text' })).toBe(2);
    expect(moved('wa_gateway_media_conversions_total', { kind: 'image', outcome: 'converted' })).toBe(1);
    expect(moved('wa_gateway_media_conversion_duration_seconds_count', { kind: 'image' })).toBe(1);
    // Webhooks started with the gateway (connection events), so these are counted from its start.
    expect(sample(after, 'wa_gateway_webhook_deliveries_total', { outcome: 'delivered' })).toBe(webhookCalls);
    expect(sample(after, 'wa_gateway_webhook_deliveries_total', { outcome: 'queued' })).toBe(webhookCalls);
    expect(sample(after, 'wa_gateway_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(moved('wa_gateway_http_requests_total', { method: 'POST', route: '/api/send-message', status: '200' })).toBe(2);
    expect(sample(after, 'wa_gateway_outbox_messages')).toBe(0);
    expect(sample(after, 'wa_gateway_outbox_oldest_age_seconds')).toBe(0);
    expect(after).not.toContain(RECIPIENT);
  });
});
