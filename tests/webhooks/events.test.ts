import { describe, expect, test } from '@jest/globals';
import { connectionUpdateEvent, incomingMessageEvent, messageStatusEvent, phoneOfJid } from '../../src/webhooks/events.js';
import { messageChangeEvent } from '../../src/webhooks/incoming-events.js';

describe('webhook events', () => {
  test('incoming text from a LID sender carries the LID and, where known, the phone number', () => {
    const event = incomingMessageEvent({
      messageId: 'ABC',
      from: '123456789012345@lid',
      fromPhoneJid: '6281234567890@s.whatsapp.net',
      pushName: 'Budi',
      timestamp: 1700000000,
      type: 'conversation',
      text: 'halo',
      raw: '{}',
    });
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: 'message.incoming',
      timestamp: expect.any(String),
      data: {
        message_id: 'ABC',
        from_phone: '6281234567890',
        from_jid: '123456789012345@lid',
        from_lid: '123456789012345@lid',
        push_name: 'Budi',
        sent_at: '2023-11-14T22:13:20.000Z',
        // The kind in the API's words; WhatsApp's own content name stays readable as wa_type.
        type: 'text',
        wa_type: 'conversation',
        text: 'halo',
        media: null,
        chat: '6281234567890',
        participant: null,
        reply_to: null,
        mentions: [],
        location: null,
        contacts: null,
        poll: null,
        reaction: null,
      },
    });
  });

  test('incoming media has metadata and a download endpoint; a LID-only sender has no phone', () => {
    const event = incomingMessageEvent(
      {
        messageId: 'M1',
        from: '999@lid',
        timestamp: 1700000000,
        type: 'imageMessage',
        media: { kind: 'image', mimetype: 'image/jpeg', fileLength: 2048, caption: 'lihat' },
        raw: '{}',
      },
      (id) => `/api/media/${id}`,
    );
    expect(event.data).toMatchObject({
      from_phone: null,
      from_lid: '999@lid',
      text: null,
      media: { kind: 'image', mimetype: 'image/jpeg', file_size: 2048, file_name: null, caption: 'lihat', download_url: '/api/media/M1' },
    });
  });

  test('a group message names the group as chat and the member as participant; mentions as phone digits or LIDs', () => {
    const event = incomingMessageEvent({
      messageId: 'G1',
      from: '123456789012345@lid',
      fromPhoneJid: '6281234567890@s.whatsapp.net',
      fromLid: '123456789012345@lid',
      chat: '120363012345678901@g.us',
      participant: '123456789012345@lid',
      timestamp: 1700000000,
      type: 'extendedTextMessage',
      kind: 'text',
      text: 'halo @6282222222222',
      replyTo: 'Q1',
      mentions: ['6282222222222@s.whatsapp.net', '999@lid'],
      raw: '{}',
    });
    expect(event.data).toMatchObject({
      type: 'text',
      wa_type: 'extendedTextMessage',
      chat: '120363012345678901@g.us',
      participant: '6281234567890',
      from_phone: '6281234567890',
      from_lid: '123456789012345@lid',
      reply_to: 'Q1',
      mentions: ['6282222222222', '999@lid'],
    });
  });

  test('edits and revokes name the changed message; a LID-only sender is its own chat', () => {
    const base = { messageId: 'M1', changeId: 'P1', chat: '999@lid', from: '999@lid', fromLid: '999@lid', timestamp: 1700000000 };
    expect(messageChangeEvent({ ...base, change: 'edit', text: 'baru' })).toMatchObject({
      event: 'message.edited',
      data: {
        message_id: 'M1',
        text: 'baru',
        from_phone: null,
        from_lid: '999@lid',
        chat: '999@lid',
        participant: null,
        changed_at: '2023-11-14T22:13:20.000Z',
      },
    });
    expect(messageChangeEvent({ ...base, change: 'revoke' })).toMatchObject({ event: 'message.revoked', data: { message_id: 'M1', text: null } });
  });

  test('status and connection events', () => {
    expect(messageStatusEvent({ messageId: 'W1', jid: '6281234567890@s.whatsapp.net', status: 'read' }, 'our-id').data).toEqual({
      id: 'our-id',
      message_id: 'W1',
      jid: '6281234567890@s.whatsapp.net',
      phone: '6281234567890',
      status: 'read',
      error: null,
      error_code: null,
    });
    const refused = messageStatusEvent({
      messageId: 'W2',
      jid: '6281234567890@s.whatsapp.net',
      status: 'failed',
      error: 'WhatsApp error 463: account restricted',
    });
    expect(refused.data).toMatchObject({ status: 'failed', error_code: 463 });
    const connection = connectionUpdateEvent({
      connected: false,
      phase: 'waiting_to_retry',
      connectionAttempts: 2,
      maxAttempts: 5,
      running: true,
      slowRetry: false,
      nextRetryAt: '2025-01-01T00:00:10.000Z',
      lastDisconnect: { code: 428, reason: 'connectionClosed', at: '2025-01-01T00:00:00.000Z' },
    });
    expect(connection).toMatchObject({
      event: 'connection.update',
      data: { connected: false, phase: 'waiting_to_retry', connection_attempts: 2, last_disconnect: { code: 428 }, account: null },
    });
    expect(phoneOfJid('6281234567890:12@s.whatsapp.net')).toBe('6281234567890');
    expect(phoneOfJid('120363@g.us')).toBeNull();
  });
});
