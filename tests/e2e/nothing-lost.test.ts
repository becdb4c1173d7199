/**
 * The durability promises end to end through real Baileys and the emulator: delivery status from
 * receipts, idempotent retries, incoming messages as signed webhooks, webhook retries, and
 * credentials that outlive a restart.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { E2EHarness, waitFor } from './support/harness.js';

const SECRET = 'e2e-webhook-secret-0123456789';
const CONTACT = '6281234567890';

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver that answers 500 to the first `failures` deliveries of each event id. */
class Receiver {
  readonly hits: Hit[] = [];
  failuresPerEvent = 0;
  private readonly attempts = new Map<string, number>();
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.hits.push({ headers: req.headers, body });
        const id = String(req.headers['x-webhook-id']);
        const seen = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, seen);
        res.statusCode = seen <= this.failuresPerEvent ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
  }

  events(type: string): Array<{ hit: Hit; event: { id: string; event: string; data: Record<string, unknown> } }> {
    return this.hits.map((hit) => ({ hit, event: JSON.parse(hit.body) })).filter((e) => e.event.event === type);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

describe('nothing lost, end to end', () => {
  let h: E2EHarness;
  const receiver = new Receiver();

  beforeAll(async () => {
    const url = await receiver.start();
    h = await E2EHarness.startLinked({
      env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF_BASE_MS: '20', WEBHOOK_TIMEOUT: '2' },
    });
  });
  afterEach(() => {
    receiver.failuresPerEvent = 0;
  });
  afterAll(async () => {
    await h?.stop();
    await receiver.stop();
  });

  test('status goes sent → delivered → read as receipts arrive, and each change is a webhook', async () => {
    const res = await h.sendText(CONTACT, 'track my status').expect(200);
    const { id, message_id } = res.body.data as { id: string; message_id: string };
    const record = async () =>
      (await h.api.get(`/api/messages/${id}`).expect(200)).body.data as { status: string; status_timestamps: Record<string, string | null> };
    await waitFor(async () => (await record()).status === 'delivered', 5000, 'delivered');
    h.emu.sendReceipt(message_id, 'read');
    const read = await waitFor(
      async () => {
        const r = await record();
        return r.status === 'read' ? r : undefined;
      },
      5000,
      'read',
    );
    expect(read.status_timestamps).toMatchObject({ sent: expect.any(String), delivered: expect.any(String), read: expect.any(String) });
    await waitFor(() => receiver.events('message.status').filter((e) => e.event.data.message_id === message_id).length >= 2, 5000, 'status webhooks');
    const statuses = receiver
      .events('message.status')
      .filter((e) => e.event.data.message_id === message_id)
      .map((e) => e.event.data.status);
    expect(statuses).toEqual(expect.arrayContaining(['delivered', 'read']));
  });

  test('a repeated Idempotency-Key sends once', async () => {
    const send = () => h.api.post('/api/send-message').set('Idempotency-Key', 'invoice-7').send({ phone: CONTACT, message: 'invoice 7 is due' }).expect(200);
    const first = await send();
    const second = await send();
    expect(second.body).toEqual(first.body);
    await h.emu.waitForMessage((m) => m.id === first.body.data.message_id && !m.isOwnDeviceCopy);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.emu.messages.filter((m) => m.text === 'invoice 7 is due' && !m.isOwnDeviceCopy)).toHaveLength(1);
  });

  test('an incoming message reaches the webhook receiver, signed, with the sender phone number', async () => {
    const id = await h.emu.sendIncomingText(CONTACT, 'hello gateway', { addressing: 'lid' });
    const { hit, event } = await waitFor(() => receiver.events('message.incoming').find((e) => e.event.data.message_id === id), 5000, 'incoming webhook');
    expect(event.data).toMatchObject({ message_id: id, from_phone: CONTACT, text: 'hello gateway' });
    expect(event.data.from_lid).toEqual(expect.stringMatching(/@lid$/));
    const verdict = verifyWebhookSignature(
      SECRET,
      { timestamp: String(hit.headers['x-webhook-timestamp']), signature: String(hit.headers['x-webhook-signature']) },
      hit.body,
    );
    expect(verdict).toEqual({ valid: true });
  });

  test('a receiver that fails three times gets the event on the fourth try', async () => {
    receiver.failuresPerEvent = 3;
    const id = await h.emu.sendIncomingText(CONTACT, 'retry me please');
    await waitFor(
      () => {
        const attempts = receiver.hits.filter((x) => x.body.includes(id));
        return attempts.length >= 4 ? attempts : undefined;
      },
      10_000,
      'four attempts',
    );
    const attempts = receiver.hits.filter((x) => x.body.includes(id));
    expect(attempts.map((a) => a.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4']);
    const log = await waitFor(
      async () => {
        const res = await h.api.get('/api/webhooks/deliveries?event=message.incoming').expect(200);
        const items = res.body.data as Array<{ payload?: string; status: string; attempts: number }>;
        return items.find((d) => JSON.stringify(d).includes(id) && d.status === 'delivered');
      },
      5000,
      'delivered in the log',
    );
    expect(log.attempts).toBe(4);
  });

  test('credentials survive a restart: the gateway logs straight back in without a QR', async () => {
    const qrsBefore = h.qrs.length;
    await h.restartGateway();
    await h.waitForConnected();
    expect(h.qrs.length).toBe(qrsBefore);
    await h.expectSendWorks(CONTACT, 'after restart');
  });
});
