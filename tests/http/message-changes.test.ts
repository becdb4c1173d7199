/**
 * POST /api/messages/:id/edit and DELETE /api/messages/:id through the real app (FakeTransport,
 * real SQLite): the content handed to the transport, the records, the outbox and idempotency keys.
 * The refusals are in message-change-refusals.test.ts.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SendOutcomeUnknownError } from '../../src/whatsapp/send-outcome.js';
import { changeHelpers, JID, OUTBOX_ON, PHONE, until } from '../support/message-changes.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const { sendText, record, edit, del } = changeHelpers(() => t);

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
