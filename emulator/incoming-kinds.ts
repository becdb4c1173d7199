import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { getMediaKeys, proto } from '@whiskeysockets/baileys';
import type { MediaServer } from './media-server.js';

/** A message someone else's phone sent, as a quote or a reaction names it. */
export interface MessageRef {
  id: string;
  /** The chat as the sender of the new message sees it: the other person's JID, or the group JID. */
  remoteJid: string;
  /** True when the referenced message is the sender's own. */
  fromMe?: boolean;
  /** In groups: the author of the referenced message. */
  participant?: string;
}

const key = (ref: MessageRef): proto.IMessageKey => ({
  remoteJid: ref.remoteJid,
  fromMe: ref.fromMe ?? false,
  id: ref.id,
  ...(ref.participant ? { participant: ref.participant } : {}),
});

/**
 * The message kinds a contact's phone sends, built as WhatsApp builds them, for
 * `sendIncomingMessage` / `sendIncomingGroupMessage`.
 */
export const incomingContent = {
  /** A text, optionally replying to a message (contextInfo.stanzaId/participant/quotedMessage) and mentioning people. */
  text(text: string, options: { quoted?: MessageRef & { message?: proto.IMessage }; mentions?: string[] } = {}): proto.IMessage {
    const { quoted, mentions } = options;
    if (!quoted && !mentions?.length) return { conversation: text };
    const contextInfo: proto.IContextInfo = {};
    if (quoted) {
      contextInfo.stanzaId = quoted.id;
      contextInfo.participant = quoted.participant ?? quoted.remoteJid;
      contextInfo.quotedMessage = quoted.message ?? { conversation: '' };
      if (quoted.participant) contextInfo.remoteJid = quoted.remoteJid;
    }
    if (mentions?.length) contextInfo.mentionedJid = mentions;
    return { extendedTextMessage: { text, contextInfo } };
  },

  location(latitude: number, longitude: number, details: { name?: string; address?: string } = {}): proto.IMessage {
    return { locationMessage: { degreesLatitude: latitude, degreesLongitude: longitude, ...details } };
  },

  contact(displayName: string, vcard: string): proto.IMessage {
    return { contactMessage: { displayName, vcard } };
  },

  /** A poll as a phone makes it: V3 for single choice, V1 otherwise, with a fresh messageSecret. */
  poll(name: string, options: string[], selectableCount = 1): proto.IMessage {
    const creation = { name, options: options.map((optionName) => ({ optionName })), selectableOptionsCount: selectableCount };
    return {
      messageContextInfo: { messageSecret: randomBytes(32) },
      ...(selectableCount === 1 ? { pollCreationMessageV3: creation } : { pollCreationMessage: creation }),
    };
  },

  /** A reaction; an empty text takes the reaction back. */
  reaction(target: MessageRef, text: string): proto.IMessage {
    return { reactionMessage: { key: key(target), text, senderTimestampMs: Date.now() } };
  },

  /** An edit of the sender's own earlier text (protocolMessage MESSAGE_EDIT). */
  edit(target: MessageRef, text: string): proto.IMessage {
    return {
      protocolMessage: {
        key: key({ ...target, fromMe: true }),
        type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
        editedMessage: { conversation: text },
        timestampMs: Date.now(),
      },
    };
  },

  /** Delete for everyone of the sender's own earlier message (protocolMessage REVOKE). */
  revoke(target: MessageRef): proto.IMessage {
    return { protocolMessage: { key: key({ ...target, fromMe: true }), type: proto.Message.ProtocolMessage.Type.REVOKE } };
  },
};

const MAC_LENGTH = 10;

export type IncomingMediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export interface IncomingMediaDetails {
  /** Default 'image'. */
  kind?: IncomingMediaKind;
  mimetype?: string;
  caption?: string;
  fileName?: string;
  /** Audio: a voice note. */
  ptt?: boolean;
  seconds?: number;
  width?: number;
  height?: number;
}

const DEFAULT_MIMETYPE: Record<IncomingMediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

/**
 * Encrypts media as a sending phone does (AES-256-CBC under keys expanded from a random mediaKey
 * for the kind, 10-byte HMAC-SHA256 over iv ‖ ciphertext) and puts the blob on the emulator's media
 * host, so a receiver downloads and decrypts the real thing. Returns the message pointing at it.
 */
export async function uploadMedia(media: MediaServer, bytes: Buffer, details: IncomingMediaDetails = {}): Promise<proto.IMessage> {
  const { kind = 'image', mimetype = DEFAULT_MIMETYPE[kind], ...rest } = details;
  const mediaKey = randomBytes(32);
  const { iv, cipherKey, macKey } = await getMediaKeys(mediaKey, kind);
  if (!macKey) throw new Error('could not derive the media MAC key');
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  const mac = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, MAC_LENGTH);
  const blob = media.store(`/mms/${kind}`, Buffer.concat([ciphertext, mac]));
  const content = {
    url: `https://${media.host}${blob.directPath}`,
    directPath: blob.directPath,
    mediaKey,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    fileEncSha256: Buffer.from(blob.encSha256, 'base64'),
    fileSha256: createHash('sha256').update(bytes).digest(),
    fileLength: bytes.length,
    mimetype,
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
  };
  return { [`${kind}Message`]: content };
}
