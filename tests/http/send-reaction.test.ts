/**
 * Reactions (src/kinds/) through the real app
 * with the fake transport: what each answers, what it hands to WhatsApp, every error.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const PHONE = '6281234567890';
const JID = `${PHONE}@s.whatsapp.net`;
let t: TestApp;
afterEach(() => t?.cleanup());

const post = (path: string, body: unknown) =>
  request(t.app)
    .post(path)
    .send(body as object);

/** A message Budi sent to the gateway (kept by the wiring, so a reaction can name it). */
function receive(id: string, from = JID, fromLid?: string): void {
  t.transport.events.emit('incoming-message', {
    messageId: id,
    from: fromLid ?? from,
    fromPhoneJid: from,
    fromLid,
    timestamp: 1_700_000_000,
    type: 'conversation',
    text: 'halo',
    raw: '{}',
  });
}

describe('POST /api/send-reaction', () => {
  test('to a message we sent: fromMe, in the same chat', async () => {
    t = await buildTestApp();
    const sent = await post('/api/send-message', { phone: PHONE, message: 'halo' }).expect(200);
    const res = await post('/api/send-reaction', { phone: PHONE, message_id: sent.body.data.message_id, emoji: '👍🏽' }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Reaction sent successfully',
      data: { phone: PHONE, type: 'reaction', target_message_id: sent.body.data.message_id, emoji: '👍🏽' },
    });
    expect(res.body.data.message_id).not.toBe(sent.body.data.message_id);
    expect(t.transport.sent[1]?.content).toEqual({ kind: 'reaction', emoji: '👍🏽', target: { id: sent.body.data.message_id, remoteJid: JID, fromMe: true } });
  });

  test('to a message we received, and "" takes the reaction back', async () => {
    t = await buildTestApp();
    receive('3A0000000000000000A1');
    await until(
      async () =>
        t.services.targets !== undefined &&
        (await t.services.targets.find(JID, '3A0000000000000000A1').then(
          () => true,
          () => false,
        )),
    );
    await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000A1', emoji: '🇮🇩' }).expect(200);
    const removed = await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000A1', emoji: '' }).expect(200);
    expect(removed.body.data.emoji).toBe('');
    expect(t.transport.sent.map((s) => s.content)).toEqual([
      { kind: 'reaction', emoji: '🇮🇩', target: { id: '3A0000000000000000A1', remoteJid: JID, fromMe: false } },
      { kind: 'reaction', emoji: '', target: { id: '3A0000000000000000A1', remoteJid: JID, fromMe: false } },
    ]);
  });

  test('to a message that came by LID, matched by the phone WhatsApp gave with it; its media is not downloadable', async () => {
    t = await buildTestApp();
    receive('3A0000000000000000C3', JID, '123456789012345@lid');
    await until(async () =>
      t.services.targets.find(JID, '3A0000000000000000C3').then(
        () => true,
        () => false,
      ),
    );
    await post('/api/send-reaction', { phone: PHONE, message_id: '3A0000000000000000C3', emoji: '🙏' }).expect(200);
    expect(t.transport.sent[0]?.content).toMatchObject({ target: { id: '3A0000000000000000C3', remoteJid: JID, fromMe: false } });
    // Keeping its id changes nothing for GET /api/media: a text has no media.
    await request(t.app).get('/api/media/3A0000000000000000C3').expect(404);
  });

  test.each([
    [{ phone: PHONE, emoji: '👍' }, 400, 'MESSAGE_ID_REQUIRED', 'Message id required: "message_id" of the message reacted to'],
    [{ phone: PHONE, message_id: ' ', emoji: '👍' }, 400, 'MESSAGE_ID_REQUIRED', 'Message id required: "message_id" of the message reacted to'],
    [{ phone: PHONE, message_id: 'X' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: 'ok' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: '👍👍' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: '👍 ' }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: 'X', emoji: 1 }, 400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'],
    [{ phone: PHONE, message_id: '3EB0UNKNOWN', emoji: '👍' }, 404, 'MESSAGE_NOT_FOUND', 'Message not found'],
  ])('%j → %i %s', async (body, status, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-reaction', body).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a message of another chat is not found', async () => {
    t = await buildTestApp();
    const sent = await post('/api/send-message', { phone: '6289876543210', message: 'halo' }).expect(200);
    receive('3A0000000000000000B2', '6289876543210@s.whatsapp.net');
    await until(async () =>
      t.services.targets.find('6289876543210@s.whatsapp.net', '3A0000000000000000B2').then(
        () => true,
        () => false,
      ),
    );
    for (const id of [sent.body.data.message_id, '3A0000000000000000B2']) {
      const res = await post('/api/send-reaction', { phone: PHONE, message_id: id, emoji: '👍' }).expect(404);
      expect(res.body.code).toBe('MESSAGE_NOT_FOUND');
    }
  });
});
