/**
 * A 463 (reach-out timelock) through the real socket: the emulator's server refuses a message to a
 * new contact with an error ack and tells, over w:mex, when the timelock ends. The gateway fails
 * that message (never retried), pauses outbox sends to contacts it never messaged, keeps serving
 * established chats, shows the restriction in /api/status, emits account.restricted, and sends the
 * held messages once the timelock is over.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, sleep, waitFor } from './support/harness.js';

const ESTABLISHED = '6281234567890';
const NEW_CONTACT = '6281300000001';
const ANOTHER_NEW = '6281300000002';

describe('account restricted by WhatsApp (463)', () => {
  let h: E2EHarness;
  let server: http.Server;
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        events.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    h = await E2EHarness.startLinked({
      env: { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', WEBHOOK_URL: url, WEBHOOK_SECRET: 'restriction-test-secret-0123' },
    });
  });
  afterAll(async () => {
    await h?.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('new contacts wait until the timelock ends, established chats go on, the refused message is never retried', async () => {
    await h.expectSendWorks(ESTABLISHED, 'hello before the restriction');

    const endsAt = new Date(Date.now() + 6000);
    h.emu.setReachoutTimelock(endsAt);
    h.emu.interceptAcks({ to: NEW_CONTACT, action: { error: 463 } });
    const refused = await h.sendText(NEW_CONTACT, 'reach out').expect(500);
    expect(refused.body).toMatchObject({ code: 'SEND_FAILED', wa_error_code: 463 });
    expect(refused.body.message).toMatch(/account restricted/);

    const status = await waitFor(
      async () => {
        const body = (await h.api.get('/api/status').expect(200)).body as { restriction: Record<string, unknown> | null };
        return body.restriction ?? undefined;
      },
      5000,
      'the restriction in /api/status',
    );
    expect(status).toMatchObject({ code: 463, until_from_whatsapp: true, new_contacts_paused: true });
    expect(Math.abs(Date.parse(String(status.until)) - endsAt.getTime())).toBeLessThan(1500);

    const held = await h.sendText(ANOTHER_NEW, 'waits for the timelock').expect(202);
    // Queued behind the held message (the outbox keeps acceptance order), but not held by it.
    const served = await h.sendText(ESTABLISHED, 'established chats go on');
    expect([200, 202]).toContain(served.status);
    await h.emu.waitForMessage((m) => m.id === served.body.data.message_id && !m.isOwnDeviceCopy, 5000);
    await sleep(500);
    expect(h.emu.messages.some((m) => m.id === held.body.data.message_id)).toBe(false);

    await waitFor(() => events.find((e) => e.event === 'account.restricted'), 5000, 'the account.restricted webhook');
    expect(events.find((e) => e.event === 'account.restricted')?.data).toMatchObject({ code: 463, message_id: refused.body.message_id ?? expect.any(String) });
    const failedStatus = events.find((e) => e.event === 'message.status' && e.data.status === 'failed');
    expect(failedStatus?.data).toMatchObject({ error_code: 463 });

    // Once the timelock is over the held message goes out by itself.
    await h.emu.waitForMessage((m) => m.id === held.body.data.message_id && !m.isOwnDeviceCopy, 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt.getTime() - 1000);
    // The refused message was never sent again.
    expect(h.emu.messages.some((m) => m.text === 'reach out')).toBe(false);
    expect((await h.api.get('/api/status').expect(200)).body.restriction).toBeNull();
  });
});
