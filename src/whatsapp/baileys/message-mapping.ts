/**
 * A received WAMessage in the port's terms: an IncomingMessage (sender's phone and LID, chat,
 * participant, the kind and its fields), or an IncomingChange (an edit or a delete for everyone).
 * The outgoing direction is in outgoing-content.ts.
 *
 * Left out: messages the account sent itself from another device (fromMe: they are not incoming),
 * status broadcasts (status@broadcast: stories, not chats), poll votes (decrypted where the polls
 * are known) and protocol messages other than edits and revokes (history sync, keys, ...).
 */
import { BufferJSON, getContentType, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { IncomingChange, IncomingMessage } from '../transport.js';
import { contentFields, editedText } from './incoming-content.js';

export type ReceivedEvent = { message: IncomingMessage } | { change: IncomingChange };

interface Sender {
  chat: string;
  from: string;
  fromPhoneJid?: string;
  fromLid?: string;
  participant?: string;
}

/** Who wrote: rc14 names the sender by phone JID or LID and gives the other as the `…Alt` of the key. */
function senderOf(key: proto.IMessageKey): Sender | undefined {
  if (!key.remoteJid) return undefined;
  const extraKey = key as { remoteJidAlt?: string; participantAlt?: string };
  // Baileys sets participant to '' (not undefined) outside groups, hence || rather than ??.
  const from = key.participant || key.remoteJid;
  const alt = key.participant ? extraKey.participantAlt : extraKey.remoteJidAlt;
  const phoneJid = [from, alt].find((j) => j?.endsWith('@s.whatsapp.net'));
  const lid = [from, alt].find((j) => j?.endsWith('@lid'));
  return { chat: key.remoteJid, from, fromPhoneJid: phoneJid, fromLid: lid, participant: key.participant || undefined };
}

export function toReceivedEvent(message: WAMessage): ReceivedEvent | undefined {
  const { key } = message;
  if (key.fromMe || !key.id || !key.remoteJid || key.remoteJid === 'status@broadcast') return undefined;
  const content = normalizeMessageContent(message.message);
  const type = getContentType(content ?? undefined);
  const sender = senderOf(key);
  if (!content || !type || !sender) return undefined;
  const timestamp = Number(message.messageTimestamp ?? Math.floor(Date.now() / 1000));
  if (type === 'protocolMessage') return changeOf(content.protocolMessage!, key.id, sender, timestamp);
  if (type === 'pollUpdateMessage') return undefined;
  return {
    message: {
      messageId: key.id,
      ...sender,
      pushName: message.pushName ?? undefined,
      timestamp,
      type,
      ...contentFields(content, type),
      raw: JSON.stringify(message, BufferJSON.replacer),
    },
  };
}

function changeOf(protocol: proto.Message.IProtocolMessage, changeId: string, sender: Sender, timestamp: number): ReceivedEvent | undefined {
  const messageId = protocol.key?.id;
  if (!messageId) return undefined;
  const { Type } = proto.Message.ProtocolMessage;
  if (protocol.type === Type.REVOKE) return { change: { change: 'revoke', messageId, changeId, ...sender, timestamp } };
  if (protocol.type === Type.MESSAGE_EDIT) {
    const editedAt = protocol.timestampMs ? Math.floor(Number(protocol.timestampMs) / 1000) : timestamp;
    return { change: { change: 'edit', messageId, changeId, ...sender, timestamp: editedAt, text: editedText(protocol.editedMessage) } };
  }
  return undefined;
}
