/**
 * Received WhatsApp messages mapped to the port: every kind, built with the emulator's builders
 * (what a phone sends) and passed through the protobuf codec as Baileys decodes them.
 */
import { describe, expect, test } from '@jest/globals';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { incomingContent } from '../../emulator/index.js';
import { toReceivedEvent } from '../../src/whatsapp/baileys/message-mapping.js';
import type { IncomingChange, IncomingMessage } from '../../src/whatsapp/transport.js';

const PHONE = '6281234567890@s.whatsapp.net';
const LID = '123456789012345@lid';
const GROUP = '120363012345678901@g.us';
const ACCOUNT = '6281111111111@s.whatsapp.net';

const decoded = (message: proto.IMessage) => proto.Message.decode(proto.Message.encode(message).finish());

function received(message: proto.IMessage, key: Partial<proto.IMessageKey> & { remoteJidAlt?: string; participantAlt?: string } = {}): WAMessage {
  return {
    key: { remoteJid: LID, remoteJidAlt: PHONE, fromMe: false, id: 'IN1', participant: '', ...key } as proto.IMessageKey,
    message: decoded(message),
    messageTimestamp: 1_700_000_000,
    pushName: 'Budi',
  };
}

function incoming(message: WAMessage): IncomingMessage {
  const event = toReceivedEvent(message);
  if (!event || !('message' in event)) throw new Error(`not a message: ${JSON.stringify(event)}`);
  return event.message;
}

function change(message: WAMessage): IncomingChange {
  const event = toReceivedEvent(message);
  if (!event || !('change' in event)) throw new Error(`not a change: ${JSON.stringify(event)}`);
  return event.change;
}

describe('received messages in the port', () => {
  test('a text from a LID-addressed contact: phone and LID, chat, WhatsApp type beside the kind', () => {
    const m = incoming(received(incomingContent.text('halo')));
    expect(m).toMatchObject({
      messageId: 'IN1',
      kind: 'text',
      type: 'conversation',
      text: 'halo',
      from: LID,
      fromPhoneJid: PHONE,
      fromLid: LID,
      chat: LID,
      pushName: 'Budi',
      timestamp: 1_700_000_000,
    });
    expect(m.participant).toBeUndefined();
    expect(m.replyTo).toBeUndefined();
  });

  test('a reply quoting our message, with mentions (extendedTextMessage)', () => {
    const message = incomingContent.text('see @6282222222222', { quoted: { id: 'OURS1', remoteJid: ACCOUNT }, mentions: ['6282222222222@s.whatsapp.net'] });
    const m = incoming(received(message, { remoteJid: PHONE, remoteJidAlt: LID }));
    expect(m).toMatchObject({
      kind: 'text',
      type: 'extendedTextMessage',
      text: 'see @6282222222222',
      replyTo: 'OURS1',
      mentions: ['6282222222222@s.whatsapp.net'],
      chat: PHONE,
      fromLid: LID,
    });
  });

  test('a group message: chat is the group, the participant is the member (phone and LID from participantAlt)', () => {
    const m = incoming(received(incomingContent.text('rapat jam 9'), { remoteJid: GROUP, remoteJidAlt: undefined, participant: LID, participantAlt: PHONE }));
    expect(m).toMatchObject({ chat: GROUP, participant: LID, from: LID, fromPhoneJid: PHONE, fromLid: LID, kind: 'text' });
  });

  test('media kinds with caption, file name and the quoted id', () => {
    const image = incoming(received({ imageMessage: { mimetype: 'image/jpeg', caption: 'lihat', fileLength: 2048, contextInfo: { stanzaId: 'Q1' } } }));
    expect(image).toMatchObject({
      kind: 'image',
      type: 'imageMessage',
      media: { kind: 'image', mimetype: 'image/jpeg', caption: 'lihat', fileLength: 2048 },
      replyTo: 'Q1',
    });
    const doc = incoming(
      received({ documentWithCaptionMessage: { message: { documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'invoice' } } } }),
    );
    expect(doc).toMatchObject({ kind: 'document', media: { kind: 'document', fileName: 'a.pdf', caption: 'invoice' } });
    for (const [key, kind] of [
      ['videoMessage', 'video'],
      ['audioMessage', 'audio'],
      ['stickerMessage', 'sticker'],
    ] as const) {
      expect(incoming(received({ [key]: { mimetype: 'x/y' } })).kind).toBe(kind);
    }
    // A disappearing-chat message is unwrapped, not reported as `ephemeralMessage`.
    expect(incoming(received({ ephemeralMessage: { message: { conversation: 'poof' } } }))).toMatchObject({ kind: 'text', text: 'poof' });
  });

  test('location, contact card, contacts array, polls', () => {
    expect(incoming(received(incomingContent.location(-6.2, 106.816666, { name: 'Monas', address: 'Jakarta' }))).location).toEqual({
      latitude: -6.2,
      longitude: 106.816666,
      name: 'Monas',
      address: 'Jakarta',
    });
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Siti\nTEL;type=CELL;waid=6283333333333:+62 833-3333-3333\nEND:VCARD';
    expect(incoming(received(incomingContent.contact('Siti', vcard)))).toMatchObject({
      kind: 'contact',
      contacts: [{ name: 'Siti', phones: ['6283333333333'], vcard }],
    });
    const plain = 'BEGIN:VCARD\nVERSION:3.0\nFN:Ani\nTEL:+62 844-4444\nEND:VCARD';
    const array = incoming(received({ contactsArrayMessage: { displayName: '2 contacts', contacts: [{ vcard: plain }, { displayName: 'Siti', vcard }] } }));
    expect(array.contacts).toEqual([
      { name: 'Ani', phones: ['628444444'], vcard: plain },
      { name: 'Siti', phones: ['6283333333333'], vcard },
    ]);
    expect(incoming(received(incomingContent.poll('Makan apa?', ['Nasi', 'Mie'])))).toMatchObject({
      kind: 'poll',
      type: 'pollCreationMessageV3',
      poll: { question: 'Makan apa?', options: ['Nasi', 'Mie'], multipleAnswers: false },
    });
    expect(incoming(received(incomingContent.poll('Hari?', ['Sabtu', 'Minggu'], 2))).poll).toEqual({
      question: 'Hari?',
      options: ['Sabtu', 'Minggu'],
      multipleAnswers: true,
    });
  });

  test('a reaction names the message reacted to; an empty text takes it back', () => {
    // After Baileys' cleanMessage the target key is from the account's side (fromMe: true for ours).
    const message = received(incomingContent.reaction({ id: 'OURS1', remoteJid: PHONE, fromMe: true }, '👍'));
    expect(incoming(message)).toMatchObject({ kind: 'reaction', type: 'reactionMessage', reaction: { targetId: 'OURS1', emoji: '👍', targetFromMe: true } });
    expect(incoming(received(incomingContent.reaction({ id: 'X', remoteJid: PHONE }, ''))).reaction).toEqual({ targetId: 'X', emoji: '', targetFromMe: false });
  });

  test('edits and revokes are changes to the earlier message, not new messages', () => {
    const edit = change(received(incomingContent.edit({ id: 'THEIRS1', remoteJid: ACCOUNT }, 'fixed typo'), { id: 'P1' }));
    expect(edit).toMatchObject({ change: 'edit', messageId: 'THEIRS1', changeId: 'P1', text: 'fixed typo', chat: LID, fromPhoneJid: PHONE, fromLid: LID });
    const revoke = change(received(incomingContent.revoke({ id: 'THEIRS2', remoteJid: GROUP }), { remoteJid: GROUP, participant: PHONE, participantAlt: LID }));
    expect(revoke).toMatchObject({ change: 'revoke', messageId: 'THEIRS2', chat: GROUP, participant: PHONE, fromLid: LID });
    expect(revoke.text).toBeUndefined();
  });

  test('left out: our own messages from another device, status broadcasts, poll votes, other protocol messages', () => {
    expect(toReceivedEvent(received(incomingContent.text('from my phone'), { fromMe: true }))).toBeUndefined();
    expect(toReceivedEvent(received(incomingContent.text('story'), { remoteJid: 'status@broadcast', participant: PHONE }))).toBeUndefined();
    expect(
      toReceivedEvent(received({ pollUpdateMessage: { pollCreationMessageKey: { id: 'P' }, vote: { encPayload: Buffer.alloc(4), encIv: Buffer.alloc(12) } } })),
    ).toBeUndefined();
    expect(
      toReceivedEvent(received({ protocolMessage: { type: proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING, ephemeralExpiration: 86400 } })),
    ).toBeUndefined();
  });

  test('an unmapped kind is `other`, with its WhatsApp name', () => {
    expect(incoming(received({ buttonsResponseMessage: { selectedButtonId: 'b1' } }))).toMatchObject({ kind: 'other', type: 'buttonsResponseMessage' });
  });
});
