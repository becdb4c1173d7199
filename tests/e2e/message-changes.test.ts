/**
 * Edits and deletes of sent messages, end to end: HTTP → gateway → real Baileys → the emulator
 * decrypts the protocol message the recipient's phone gets (MESSAGE_EDIT with the original's key
 * and the new text or caption, REVOKE with the key), and the records show the change.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { proto } from '@whiskeysockets/baileys';
import type { ReceivedMessage } from '../../emulator/index.js';
import { createPassThroughPreparer } from '../../src/messaging/media-preparation.js';
import { E2EHarness, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';
const RECIPIENT_JID = `${RECIPIENT}@s.whatsapp.net`;
const { Type } = proto.Message.ProtocolMessage;

describe('changing what was sent, through the real socket', () => {
  let h: E2EHarness;
  let png: Buffer;

  /** The copy the contact's phone decrypted (not the account's own-device copy). */
  const delivered = (id: string, ms = 5000) => h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy, ms);

  beforeAll(async () => {
    [png, h] = await Promise.all([
      sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366cc' } })
        .png()
        .toBuffer(),
      E2EHarness.start({
        mediaPreparer: createPassThroughPreparer(),
        env: { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' },
      }),
    ]);
    await h.pair();
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function sendText(text: string): Promise<{ id: string; message_id: string }> {
    const res = await h.sendText(RECIPIENT, text).expect(200);
    await delivered(res.body.data.message_id);
    return res.body.data;
  }

  function protocolOf(received: ReceivedMessage): proto.Message.IProtocolMessage {
    expect(received.type).toBe('protocol');
    expect(received.to).toBe(RECIPIENT_JID);
    return received.message.protocolMessage!;
  }

  test('an edited text arrives as MESSAGE_EDIT of the original id with the new text; the record shows it', async () => {
    const sent = await sendText('Rapat jam 9');
    const res = await h.api.post(`/api/messages/${sent.id}/edit`).send({ message: 'Rapat jam 10 ✓' }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Message edited successfully',
      data: { id: sent.id, message_id: sent.message_id, delivery_status: expect.stringMatching(/sent|delivered/) },
    });

    const received = await delivered(res.body.data.change_message_id);
    expect(received.stanza.edit).toBe('1');
    const edit = protocolOf(received);
    expect(edit.type).toBe(Type.MESSAGE_EDIT);
    expect(edit.key).toMatchObject({ id: sent.message_id, remoteJid: RECIPIENT_JID, fromMe: true });
    const edited = edit.editedMessage!;
    expect(edited.conversation ?? edited.extendedTextMessage?.text).toBe('Rapat jam 10 ✓');

    const record = await h.api.get(`/api/messages/${sent.message_id}`).expect(200);
    expect(record.body.data).toMatchObject({ summary: 'Rapat jam 9', edits: [{ text: 'Rapat jam 10 ✓' }], edited_at: expect.any(String), deleted: false });
  });

  test("an image's caption edit arrives as MESSAGE_EDIT carrying an imageMessage with the new caption", async () => {
    const sent = await h.api.post('/api/send-image').field('phone', RECIPIENT).field('caption', 'Harga lama').attach('file', png, 'produk.png').expect(200);
    const original = await delivered(sent.body.data.message_id);
    expect(original.caption).toBe('Harga lama');

    const res = await h.api.post(`/api/messages/${sent.body.data.message_id}/edit`).send({ message: 'Harga baru: 50rb' }).expect(200);
    expect(res.body.data).toMatchObject({ type: 'image', message: 'Harga baru: 50rb' });
    const edit = protocolOf(await delivered(res.body.data.change_message_id));
    expect(edit.type).toBe(Type.MESSAGE_EDIT);
    expect(edit.key?.id).toBe(sent.body.data.message_id);
    expect(edit.editedMessage?.imageMessage?.caption).toBe('Harga baru: 50rb');
    // Only the caption: no forwarding marks, no second upload.
    expect(edit.editedMessage?.imageMessage?.contextInfo?.isForwarded ?? false).toBe(false);
    expect(edit.editedMessage?.imageMessage?.url ?? null).toBeNull();
  });

  test('a delete arrives as REVOKE with the original key; the record shows it deleted', async () => {
    const sent = await sendText('salah kirim');
    const res = await h.api.delete(`/api/messages/${sent.id}`).expect(200);
    expect(res.body.message).toBe('Message deleted successfully');
    const received = await delivered(res.body.data.change_message_id);
    expect(received.stanza.edit).toBe('7');
    const revoke = protocolOf(received);
    expect(revoke.type).toBe(Type.REVOKE);
    expect(revoke.key).toMatchObject({ id: sent.message_id, remoteJid: RECIPIENT_JID, fromMe: true });

    const record = await h.api.get(`/api/messages/${sent.id}`).expect(200);
    expect(record.body.data).toMatchObject({ deleted: true, deleted_at: expect.any(String) });
    await h.api.post(`/api/messages/${sent.id}/edit`).send({ message: 'too late' }).expect(400);
  });

  test('an incoming message cannot be edited or deleted: 400 MESSAGE_NOT_OURS', async () => {
    const image = await h.emu.uploadIncomingMedia(png, { kind: 'image', mimetype: 'image/png', caption: 'dari Budi' });
    const id = await h.emu.sendIncomingMessage(RECIPIENT, image);
    await waitFor(() => h.gateway.services.incoming.get(id), 5000, 'the incoming message kept');
    const edit = await h.api.post(`/api/messages/${id}/edit`).send({ message: 'not mine' }).expect(400);
    expect(edit.body.code).toBe('MESSAGE_NOT_OURS');
    expect((await h.api.delete(`/api/messages/${id}`).expect(400)).body.code).toBe('MESSAGE_NOT_OURS');
  });

  test('an edit while disconnected is queued by the outbox and delivered after reconnect', async () => {
    const sent = await sendText('Besok libur');
    await h.emu.goAway();
    await h.waitForStatus((s) => !s.bot_connected, 5000, 'disconnected');
    const res = await h.api.post(`/api/messages/${sent.id}/edit`).send({ message: 'Besok tetap masuk' }).expect(202);
    expect(res.body).toMatchObject({ message: 'Message edit queued for delivery', data: { delivery_status: 'queued' } });
    expect((await h.api.get(`/api/messages/${sent.id}`).expect(200)).body.data.edits).toEqual([]);

    await h.emu.comeBack();
    const edit = protocolOf(await delivered(res.body.data.change_message_id, 20_000));
    expect(edit.type).toBe(Type.MESSAGE_EDIT);
    expect(edit.key?.id).toBe(sent.message_id);
    const edited = edit.editedMessage!;
    expect(edited.conversation ?? edited.extendedTextMessage?.text).toBe('Besok tetap masuk');
    await waitFor(async () => (await h.api.get(`/api/messages/${sent.id}`)).body.data.edits.length === 1, 5000, 'the edit on the record');
  });
});
