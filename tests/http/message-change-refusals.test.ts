/**
 * POST /api/messages/:id/edit and DELETE /api/messages/:id: every refusal (table-driven), through
 * the real app (FakeTransport, real SQLite). Nothing is sent for any of them.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { ServerRejectedError } from '../../src/whatsapp/send-outcome.js';
import { changeHelpers, JID, MINUTE } from '../support/message-changes.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const { sendText, record, edit, del } = changeHelpers(() => t);

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
