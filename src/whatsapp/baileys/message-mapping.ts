/**
 * Our message shapes in Baileys' terms and back: OutgoingMedia → Baileys message content, and a
 * received WAMessage → the port's IncomingMessage (phone and LID of the sender, text, media).
 */
import { BufferJSON, type AnyMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import type { IncomingMessage, OutgoingMedia } from '../transport.js';

export function toBaileysContent(media: OutgoingMedia): AnyMessageContent {
  const source = { url: media.path };
  const thumbnail = media.jpegThumbnail ? { jpegThumbnail: media.jpegThumbnail.toString('base64') } : {};
  const dimensions = media.width && media.height ? { width: media.width, height: media.height } : {};
  switch (media.kind) {
    case 'image':
      return { image: source, caption: media.caption, mimetype: media.mimetype, ...thumbnail, ...dimensions };
    case 'video':
      return {
        video: source,
        caption: media.caption,
        mimetype: media.mimetype,
        gifPlayback: media.gifPlayback,
        ...thumbnail,
        ...dimensions,
        ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
      } as AnyMessageContent;
    case 'audio':
      return {
        audio: source,
        mimetype: media.mimetype,
        ptt: media.ptt ?? true,
        ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
        ...(media.waveform ? { waveform: media.waveform } : {}),
      } as AnyMessageContent;
    case 'sticker':
      return { sticker: source, mimetype: media.mimetype, isAnimated: media.isAnimated ?? false, ...dimensions };
    case 'document':
      return { document: source, mimetype: media.mimetype, fileName: media.fileName, caption: media.caption };
  }
}

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
