/**
 * A received WAMessage in the port's terms: IncomingMessage (phone and LID of the sender, text,
 * media). The outgoing direction is in outgoing-content.ts.
 */
import { BufferJSON, type WAMessage } from '@whiskeysockets/baileys';
import type { IncomingMessage } from '../transport.js';

export function toIncomingMessage(message: WAMessage): IncomingMessage | undefined {
  const { key } = message;
  if (key.fromMe || !key.id || !key.remoteJid || key.remoteJid === 'status@broadcast') return undefined;
  const content = message.message;
  if (!content) return undefined;
  const type = Object.keys(content).find((k) => k !== 'messageContextInfo' && k !== 'senderKeyDistributionMessage') ?? 'unknown';
  const text = content.conversation ?? content.extendedTextMessage?.text ?? undefined;
  const mediaContent =
    content.imageMessage ?? content.videoMessage ?? content.audioMessage ?? content.documentMessage ?? content.stickerMessage;
  const extraKey = key as { remoteJidAlt?: string; participantAlt?: string };
  // Baileys sets participant to '' (not undefined) outside groups, hence || rather than ??.
  const from = key.participant || key.remoteJid;
  const alt = extraKey.participantAlt || extraKey.remoteJidAlt;
  const phoneJid = [from, alt].find((j) => j?.endsWith('@s.whatsapp.net'));
  const lid = [from, alt].find((j) => j?.endsWith('@lid'));
  return {
    messageId: key.id,
    from,
    chatJid: key.remoteJid,
    fromPhoneJid: phoneJid,
    fromLid: lid,
    pushName: message.pushName ?? undefined,
    timestamp: Number(message.messageTimestamp ?? Math.floor(Date.now() / 1000)),
    type,
    text,
    media: mediaContent
      ? {
          kind: type.replace(/Message$/, ''),
          mimetype: mediaContent.mimetype ?? undefined,
          fileLength: mediaContent.fileLength ? Number(mediaContent.fileLength) : undefined,
          fileName: 'fileName' in mediaContent ? (mediaContent.fileName ?? undefined) : undefined,
          caption: 'caption' in mediaContent ? (mediaContent.caption ?? undefined) : undefined,
        }
      : undefined,
    raw: JSON.stringify(message, BufferJSON.replacer),
  };
}
