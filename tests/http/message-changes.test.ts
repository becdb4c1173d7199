/**
 * POST /api/messages/:id/edit and DELETE /api/messages/:id through the real app (FakeTransport,
 * real SQLite): every refusal, the content handed to the transport, the records, the outbox and
 * idempotency keys.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SendOutcomeUnknownError, ServerRejectedError } from '../../src/whatsapp/send-outcome.js';
import type { MessageType } from '../../src/domain/vocabulary.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const PHONE = '6281234567890';
const JID = `${PHONE}@s.whatsapp.net`;
const OUTBOX_ON = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' };
const MINUTE = 60_000;

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sendText(text = 'the meeting is at 9'): Promise<{ id: string; message_id: string }> {
  const res = await request(t.app).post('/api/send-message').send({ phone: PHONE, message: text }).expect(200);
  return res.body.data;
}

/** A record as a send leaves it, in the state a case needs (the real repository, not a mock). */
async function record(type: MessageType, opts: { status?: 'sent' | 'queued' | 'failed'; ageMs?: number; waId?: string | null } = {}): Promise<string> {
  const { messages } = t.services;
  const at = new Date(Date.now() - (opts.ageMs ?? 0));
  const created = await messages.create({
    waMessageId: opts.waId === null ? undefined : (opts.waId ?? `3EB0REC${Math.random().toString(16).slice(2, 12).toUpperCase()}`),
    phone: PHONE,
    jid: JID,
    type,
    text: 'caption or text',
    status: opts.status === 'failed' ? 'queued' : (opts.status ?? 'sent'),
    at,
  });
  if (opts.status === 'failed') await messages.markStatusById(created.id, 'failed', at, 'WhatsApp error 479');
  return created.id;
}

const edit = (id: string, body: unknown = { message: 'new text' }) =>
  request(t.app)
    .post(`/api/messages/${encodeURIComponent(id)}/edit`)
    .send(body as object);
const del = (id: string) => request(t.app).delete(`/api/messages/${encodeURIComponent(id)}`);

describe('refusals', () => {
  type Case = { name: string; setup: () => Promise<string>; body?: unknown; status: number; code: string; message?: RegExp };
  const cases: Case[] = [
    { name: 'unknown id', setup: async () => 'NO-SUCH-MESSAGE', status: 404, code: 'NOT_FOUND', message: /^Message not found$/ },
    {
      name: 'an incoming message (not ours)',
      setup: async () => {
        await t.services.incoming.save({ messageId: 'INCOMING1', fromJid: JID, type: 'image', raw: '{}', receivedAt: Date.now() });
        return 'INCOMING1';
      },
      status: 400,
      code: 'MESSAGE_NOT_OURS',
    },
    { name: 'a sticker (no text or caption)', setup: () => record('sticker'), status: 400, code: 'MESSAGE_NOT_EDITABLE', message: /sticker/ },
    { name: 'an audio message', setup: () => record('audio'), status: 400, code: 'MESSAGE_NOT_EDITABLE', message: /audio/ },
    { name: 'a message still queued', setup: () => record('text', { status: 'queued' }), status: 400, code: 'MESSAGE_NOT_SENT' },
    { name: 'a failed message', setup: () => record('text', { status: 'failed' }), status: 400, code: 'MESSAGE_FAILED' },
    { name: 'older than 15 minutes', setup: () => record('text', { ageMs: 16 * MINUTE }), status: 400, code: 'EDIT_WINDOW_EXPIRED', message: /15 minutes/ },
    {
      name: 'a deleted message',
      setup: async () => {
        const { id } = await sendText();
        await del(id).expect(200);
        return id;
      },
      status: 400,
      code: 'MESSAGE_DELETED',
    },
    {
      name: 'a change record (an edit of another message)',
      setup: async () => {
        const { id } = await sendText();
        return (await edit(id).expect(200)).body.data.change_id as string;
      },
      status: 400,
      code: 'MESSAGE_NOT_EDITABLE',
    },
    { name: 'empty text', setup: () => record('text'), body: { message: '  ' }, status: 400, code: 'MESSAGE_REQUIRED', message: /^Message required$/ },
    { name: 'no text', setup: () => record('text'), body: {}, status: 400, code: 'MESSAGE_REQUIRED' },
    { name: 'text not a string', setup: () => record('text'), body: { message: 12 }, status: 400, code: 'INVALID_MESSAGE' },
    { name: 'text too long', setup: () => record('text'), body: { message: 'x'.repeat(65_537) }, status: 400, code: 'MESSAGE_TOO_LONG' },
  ];

  test.each(cases)('edit of $name: $status $code', async ({ setup, body, status, code, message }) => {
    t = await buildTestApp();
    const id = await setup();
    const sends = t.transport.sent.length;
    const res = await edit(id, body ?? { message: 'new text' }).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, timestamp: expect.any(String) });
    if (message) expect(res.body.message).toMatch(message);
    expect(t.transport.sent).toHaveLength(sends);
  });

  const deleteCases: Case[] = [
    { name: 'unknown id', setup: async () => 'NO-SUCH-MESSAGE', status: 404, code: 'NOT_FOUND', message: /^Message not found$/ },
    {
      name: 'an incoming message (not ours)',
      setup: async () => {
        await t.services.incoming.save({ messageId: 'INCOMING2', fromJid: JID, type: 'video', raw: '{}', receivedAt: Date.now() });
        return 'INCOMING2';
      },
      status: 400,
      code: 'MESSAGE_NOT_OURS',
    },
    { name: 'a message still queued', setup: () => record('image', { status: 'queued' }), status: 400, code: 'MESSAGE_NOT_SENT' },
    { name: 'a failed message', setup: () => record('sticker', { status: 'failed' }), status: 400, code: 'MESSAGE_FAILED' },
    { name: 'older than 2 days', setup: () => record('text', { ageMs: 49 * 60 * MINUTE }), status: 400, code: 'DELETE_WINDOW_EXPIRED' },
    {
      name: 'a change record (the edit of another message)',
      setup: async () => {
        const { id } = await sendText();
        return (await edit(id).expect(200)).body.data.change_id as string;
      },
      status: 400,
      code: 'MESSAGE_NOT_DELETABLE',
    },
  ];

  test.each(deleteCases)('delete of $name: $status $code', async ({ setup, status, code, message }) => {
    t = await buildTestApp();
    const id = await setup();
    const sends = t.transport.sent.length;
    const res = await del(id).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code });
    if (message) expect(res.body.message).toMatch(message);
    expect(t.transport.sent).toHaveLength(sends);
  });

  test('disconnected without the outbox: 503 BOT_NOT_CONNECTED on both, as the sends', async () => {
    t = await buildTestApp();
    const { id } = await sendText();
    t.transport.setPhase('waiting_to_retry');
    expect((await edit(id).expect(503)).body.code).toBe('BOT_NOT_CONNECTED');
    expect((await del(id).expect(503)).body.code).toBe('BOT_NOT_CONNECTED');
  });

  test("WhatsApp's server refusing the edit answers like a failed send, and the record is not edited", async () => {
    t = await buildTestApp();
    const { id } = await sendText();
    t.transport.nextFailure = new ServerRejectedError('x', 479);
    const res = await edit(id).expect(500);
    expect(res.body).toMatchObject({ code: 'SEND_FAILED', wa_error_code: 479 });
    const got = await request(t.app).get(`/api/messages/${id}`).expect(200);
    expect(got.body.data).toMatchObject({ edits: [], edited_at: null });
    // A refused edit leaves the message editable.
    await edit(id, { message: 'second try' }).expect(200);
  });
});

describe('edits', () => {
  test('a text: the transport gets the target key and the new text; the record shows the edit', async () => {
    t = await buildTestApp();
    const sent = await sendText('the meeting is at 9');
    const res = await edit(sent.id, { message: 'the meeting is at 10' }).expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Message edited successfully',
      data: { id: sent.id, message_id: sent.message_id, phone: PHONE, type: 'text', message: 'the meeting is at 10', delivery_status: 'sent' },
    });
    const change = t.transport.sent.at(-1)!;
    expect(change).toMatchObject({ jid: JID, messageId: res.body.data.change_message_id });
    expect(change.content).toEqual({ kind: 'edit', target: { id: sent.message_id, remoteJid: JID }, text: 'the meeting is at 10' });

    const got = await request(t.app).get(`/api/messages/${sent.message_id}`).expect(200);
    expect(got.body.data).toMatchObject({
      id: sent.id,
      summary: 'the meeting is at 9',
      edits: [{ text: 'the meeting is at 10', at: expect.any(String) }],
      edited_at: got.body.data.edits[0].at,
      deleted: false,
      deleted_at: null,
    });
  });

  test('by WhatsApp id, twice: the history keeps both, oldest first', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    await edit(sent.message_id, { message: 'one' }).expect(200);
    await edit(sent.message_id, { message: 'two' }).expect(200);
    const got = await request(t.app).get(`/api/messages/${sent.id}`).expect(200);
    expect(got.body.data.edits.map((e: { text: string }) => e.text)).toEqual(['one', 'two']);
  });

  test.each(['image', 'video', 'document'] as const)('a caption of a %s message goes out as that kind', async (kind) => {
    t = await buildTestApp();
    const id = await record(kind);
    const res = await edit(id, { message: 'new caption' }).expect(200);
    expect(res.body.data.type).toBe(kind);
    expect(t.transport.sent.at(-1)!.content).toMatchObject({ kind: 'edit', text: 'new caption', captionOf: kind });
  });

  test('change records are listed only when asked for by type', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    const change = (await edit(sent.id).expect(200)).body.data.change_id;
    const all = await request(t.app).get('/api/messages').expect(200);
    expect(all.body.data.map((m: { id: string }) => m.id)).toEqual([sent.id]);
    const edits = await request(t.app).get('/api/messages?type=edit').expect(200);
    expect(edits.body.data).toMatchObject([{ id: change, type: 'edit', summary: 'new text', status: 'sent' }]);
  });

  test('with an Idempotency-Key, a retried edit answers again and sends once', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    const first = await edit(sent.id).set('Idempotency-Key', 'edit-1').expect(200);
    const again = await edit(sent.id).set('Idempotency-Key', 'edit-1').expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.change_id).toBe(first.body.data.change_id);
    expect(t.transport.sent.filter((s) => s.content?.kind === 'edit')).toHaveLength(1);
    await edit(sent.id, { message: 'other' }).set('Idempotency-Key', 'edit-1').expect(409);
  });

  test('outbox on, disconnected: the edit is queued (202) and goes out after reconnect, after the original', async () => {
    t = await buildTestApp(OUTBOX_ON);
    const sent = await sendText();
    t.transport.setPhase('waiting_to_retry');
    const queuedSend = await request(t.app).post('/api/send-message').send({ phone: PHONE, message: 'also queued' }).expect(202);
    const res = await edit(sent.id, { message: 'edited while offline' }).expect(202);
    expect(res.body).toMatchObject({ message: 'Message edit queued for delivery', data: { delivery_status: 'queued' } });
    let got = await request(t.app).get(`/api/messages/${sent.id}`).expect(200);
    expect(got.body.data.edits).toEqual([]);

    t.transport.setPhase('open');
    await until(() => t.transport.sent.length === 3);
    expect(t.transport.sent.map((s) => s.messageId)).toEqual([sent.message_id, queuedSend.body.data.message_id, res.body.data.change_message_id]);
    await until(async () => (await request(t.app).get(`/api/messages/${sent.id}`)).body.data.edits.length === 1);
    got = await request(t.app).get(`/api/messages/${sent.id}`).expect(200);
    expect(got.body.data.edits[0].text).toBe('edited while offline');
  });
});

describe('deletes', () => {
  test('revokes for everyone; the record shows it; deleting again answers with the same delete and sends nothing', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    const res = await del(sent.id).expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Message deleted successfully',
      data: { id: sent.id, message_id: sent.message_id, phone: PHONE, type: 'text', delivery_status: 'sent' },
    });
    expect(t.transport.sent.at(-1)!.content).toEqual({ kind: 'delete', target: { id: sent.message_id, remoteJid: JID } });
    const got = await request(t.app).get(`/api/messages/${sent.id}`).expect(200);
    expect(got.body.data).toMatchObject({ deleted: true, deleted_at: expect.any(String) });

    const sends = t.transport.sent.length;
    const again = await del(sent.message_id).expect(200);
    expect(again.body.data).toMatchObject({ change_id: res.body.data.change_id, change_message_id: res.body.data.change_message_id });
    expect(t.transport.sent).toHaveLength(sends);
  });

  test('no server ack (504): a retry with the same Idempotency-Key resends the same delete under the same id', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    t.transport.nextFailure = new SendOutcomeUnknownError('x', 'ack-timeout', 15_000);
    const first = await del(sent.id).set('Idempotency-Key', 'del-1').expect(504);
    expect(first.body.code).toBe('SEND_OUTCOME_UNKNOWN');
    const retry = await del(sent.id).set('Idempotency-Key', 'del-1').expect(200);
    expect(retry.body.data).toMatchObject({ change_id: first.body.id, change_message_id: first.body.message_id, delivery_status: 'sent' });
    // The retry went out under the first attempt's WhatsApp id (recipients keep one message per id).
    const deletes = t.transport.sent.filter((s) => s.content?.kind === 'delete');
    expect(deletes.map((s) => s.messageId)).toEqual([first.body.message_id]);
    expect((await request(t.app).get(`/api/messages/${sent.id}`).expect(200)).body.data.deleted).toBe(true);
  });

  test('two deletes at once (the first held before its ack): one goes out, the other answers with it', async () => {
    t = await buildTestApp();
    const sent = await sendText();
    t.transport.holdSends = true;
    const first = del(sent.id).then((r) => r);
    const second = del(sent.id).then((r) => r);
    await until(async () => (await request(t.app).get('/api/messages?type=delete')).body.total === 1);
    t.transport.holdSends = false;
    t.transport.releaseHeld();
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.data.change_id).toBe(a.body.data.change_id);
    expect(t.transport.sent.filter((s) => s.content?.kind === 'delete')).toHaveLength(1);
  });

  test('any kind can be deleted (a sticker)', async () => {
    t = await buildTestApp();
    const id = await record('sticker');
    await del(id).expect(200);
    expect(t.transport.sent.at(-1)!.content).toMatchObject({ kind: 'delete' });
  });

  test('outbox on, disconnected: the delete is queued (202); a second delete answers 202 with it', async () => {
    t = await buildTestApp(OUTBOX_ON);
    const sent = await sendText();
    t.transport.setPhase('connecting');
    const res = await del(sent.id).expect(202);
    expect(res.body.message).toBe('Message deletion queued for delivery');
    const again = await del(sent.id).expect(202);
    expect(again.body.data.change_id).toBe(res.body.data.change_id);
    // An edit after a queued delete is refused: the message is on its way out.
    expect((await edit(sent.id).expect(400)).body.code).toBe('MESSAGE_DELETED');
    t.transport.setPhase('open');
    await until(async () => (await request(t.app).get(`/api/messages/${sent.id}`)).body.data.deleted === true);
  });
});
