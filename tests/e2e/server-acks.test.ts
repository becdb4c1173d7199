/**
 * What `sent` means, end to end: the real Baileys socket against the emulator, whose server acks
 * each stanza the way a test asks — normally, not at all (the stanza is swallowed), after dropping
 * the connection (the stanza arrived, its ack did not), or with an error code.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMessage } from '../../emulator/index.js';
import { E2EHarness, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';

/** Copies the recipient's phone shows: one per id, whatever was resent. */
const shown = (messages: readonly ReceivedMessage[], id: string) => messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && !m.duplicate);
const copies = (messages: readonly ReceivedMessage[], id: string) => messages.filter((m) => m.id === id && !m.isOwnDeviceCopy);

function linked(env: Record<string, string>): Promise<E2EHarness> {
  return E2EHarness.startLinked({ env: { SEND_ACK_TIMEOUT: '1', ...env } });
}

describe('without the outbox: the response says what WhatsApp acknowledged', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await linked({});
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('an acked send is sent, with a timestamp per step', async () => {
    const res = await h.sendText(RECIPIENT, 'acked').expect(200);
    expect(['sent', 'delivered']).toContain(res.body.data.delivery_status);
    const record = await h.api.get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data.status_timestamps.queued).not.toBeNull();
    expect(record.body.data.status_timestamps.sent).not.toBeNull();
    await waitFor(async () => (await h.api.get(`/api/messages/${res.body.data.id}`)).body.data.status === 'delivered', 5000, 'delivered');
  });

  test('a swallowed stanza answers 504 SEND_OUTCOME_UNKNOWN; the retry with the same key reuses the WhatsApp id and is delivered once', async () => {
    h.emu.interceptAcks({ action: 'swallow' });
    const body = { phone: RECIPIENT, message: 'swallowed once' };
    const first = await h.api.post('/api/send-message').set('Idempotency-Key', 'swallow-1').send(body).expect(504);
    expect(first.body).toMatchObject({ status: 'error', code: 'SEND_OUTCOME_UNKNOWN' });
    expect(first.body.message).toMatch(/same Idempotency-Key/);
    const waId = first.body.message_id as string;
    expect(waId).toBeTruthy();
    // The outcome is unknown, so the record does not claim `sent`.
    expect((await h.api.get(`/api/messages/${first.body.id}`).expect(200)).body.data.status).toBe('queued');
    expect(copies(h.emu.messages, waId)).toHaveLength(0);

    const retry = await h.api.post('/api/send-message').set('Idempotency-Key', 'swallow-1').send(body).expect(200);
    expect(retry.body.data).toMatchObject({ message_id: waId, id: first.body.id });
    await h.emu.waitForMessage((m) => m.id === waId && !m.isOwnDeviceCopy);
    expect(shown(h.emu.messages, waId)).toHaveLength(1);
    // A third call with the key replays the stored answer and sends nothing.
    const replay = await h.api.post('/api/send-message').set('Idempotency-Key', 'swallow-1').send(body).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(copies(h.emu.messages, waId)).toHaveLength(1);
  });

  test('a connection dropped after the stanza and before its ack: 504, then the retry goes out under the same id and the recipient shows it once', async () => {
    h.emu.interceptAcks({ action: 'drop-connection' });
    const body = { phone: RECIPIENT, message: 'ack lost with the connection' };
    const first = await h.api.post('/api/send-message').set('Idempotency-Key', 'drop-1').send(body).expect(504);
    expect(first.body.code).toBe('SEND_OUTCOME_UNKNOWN');
    expect(first.body.message).toMatch(/connection to WhatsApp closed/);
    const waId = first.body.message_id as string;
    await h.emu.waitForMessage((m) => m.id === waId && !m.isOwnDeviceCopy);
    await h.waitForConnected();

    const retry = await h.api.post('/api/send-message').set('Idempotency-Key', 'drop-1').send(body).expect(200);
    expect(retry.body.data.message_id).toBe(waId);
    await waitFor(() => copies(h.emu.messages, waId).length === 2, 5000, 'the resent copy');
    expect(shown(h.emu.messages, waId)).toHaveLength(1);
    expect(copies(h.emu.messages, waId).every((m) => m.text === body.message)).toBe(true);
  });

  test('an error ack fails the message with WhatsApp code and reason; nothing is retried', async () => {
    h.emu.interceptAcks({ action: { error: 479 } });
    const res = await h.sendText(RECIPIENT, 'refused').expect(500);
    expect(res.body).toMatchObject({ status: 'error', code: 'SEND_FAILED', wa_error_code: 479 });
    expect(res.body.message).toMatch(/WhatsApp error 479: .*invalid/);
    const page = await h.api.get('/api/messages?status=failed').expect(200);
    const record = (page.body.data as Array<{ summary: string; error: string; status_timestamps: { failed: string | null } }>).find(
      (m) => m.summary === 'refused',
    );
    expect(record?.error).toMatch(/^WhatsApp error 479/);
    expect(record?.status_timestamps.failed).not.toBeNull();
    expect(h.emu.messages.filter((m) => m.text === 'refused')).toHaveLength(0);
  });
});

describe('with the outbox: a message without its ack is resent under the same id', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await linked({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('a swallowed stanza: 202, resent under the same id, delivered once, record sent', async () => {
    h.emu.interceptAcks({ action: 'swallow' });
    const res = await h.sendText(RECIPIENT, 'outbox resends me').expect(202);
    const waId = res.body.data.message_id as string;
    await h.emu.waitForMessage((m) => m.id === waId && !m.isOwnDeviceCopy, 15_000);
    await waitFor(async () => ['sent', 'delivered'].includes((await h.api.get(`/api/messages/${res.body.data.id}`)).body.data.status), 10_000, 'record sent');
    expect(shown(h.emu.messages, waId)).toHaveLength(1);
  });

  test('a dropped connection before the ack: resent after the reconnect under the same id, shown once', async () => {
    h.emu.interceptAcks({ action: 'drop-connection' });
    const res = await h.sendText(RECIPIENT, 'outbox after a drop').expect(202);
    const waId = res.body.data.message_id as string;
    await waitFor(() => copies(h.emu.messages, waId).length === 2, 15_000, 'the resend after reconnecting');
    expect(shown(h.emu.messages, waId)).toHaveLength(1);
    await waitFor(async () => ['sent', 'delivered'].includes((await h.api.get(`/api/messages/${res.body.data.id}`)).body.data.status), 10_000, 'record sent');
  });
});
