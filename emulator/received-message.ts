import { normalizeMessageContent, toNumber, proto, type MediaType } from '@whiskeysockets/baileys';

export type MessageKind =
  'text' | 'image' | 'video' | 'audio' | 'document' | 'sticker' | 'location' | 'contact' | 'reaction' | 'poll' | 'protocol' | 'other' | 'undecryptable';

export interface ReceivedMedia {
  /** The original bytes, decrypted and verified against fileEncSha256, the MAC and fileSha256. */
  bytes: Buffer;
  mimetype?: string;
  fileName?: string;
  ptt?: boolean;
  seconds?: number;
  gifPlayback?: boolean;
  width?: number;
  height?: number;
  hasThumbnail: boolean;
}

/** One decrypted copy of a message the companion sent, as one recipient device got it. */
export interface ReceivedMessage {
  id: string;
  /** Phone JID of the recipient device's owner (also for LID-addressed sends); the account's own phone JID for the own-device copy. */
  to: string;
  /** Phone JID of the conversation partner (for the own-device copy, the deviceSentMessage destination mapped to a phone JID). */
  chat: string;
  /** The JID the encrypted copy was addressed to on the wire (PN or LID, device included if non-zero). */
  recipientDevice: string;
  /** True for the copy Baileys sends to the account's own phone (a deviceSentMessage, unwrapped into `message`). */
  isOwnDeviceCopy: boolean;
  /** For the own-device copy: deviceSentMessage.destinationJid as Baileys wrote it. */
  destinationJid?: string;
  /** The companion device that sent it. */
  from: string;
  /** The decoded message; for the own-device copy, the inner deviceSentMessage.message. */
  message: proto.IMessage;
  /** The decoded protobuf exactly as decrypted (for the own copy, still wrapped). */
  rawMessage: proto.IMessage;
  type: MessageKind;
  text?: string;
  caption?: string;
  media?: ReceivedMedia;
  /** Why `media` is missing although the message carries media (upload not found, bad MAC, ...). */
  mediaError?: string;
  /** Why decryption failed, for type 'undecryptable'. */
  error?: string;
  /** For a group message: the group JID ('…@g.us'); `chat` is the group too. */
  group?: string;
  /**
   * For a group message: the devices the stanza's `<participants>` carried a sender key
   * distribution message to (empty once every member already had the sender's key).
   */
  senderKeyRecipients?: string[];
  /** The message stanza's attributes (type, category, mediatype, ...). */
  stanza: Record<string, string>;
  receivedAt: Date;
  /**
   * True when this recipient device already had a copy with this id: the recipient's app keeps one
   * message per id, so this copy is not shown again (a resend after a lost ack, or a retry answer).
   */
  duplicate?: boolean;
}

type MediaContent = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage;

export interface Classified {
  type: MessageKind;
  text?: string;
  caption?: string;
  /** The media sub-message and the HKDF media type its keys are derived with. */
  media?: { content: MediaContent; mediaType: MediaType };
}

const MEDIA_FIELDS = [
  ['imageMessage', 'image', 'image'],
  ['videoMessage', 'video', 'video'],
  ['audioMessage', 'audio', 'audio'],
  ['documentMessage', 'document', 'document'],
  ['stickerMessage', 'sticker', 'sticker'],
] as const;

/** Names what a message is, looking through the ephemeral/view-once/caption wrappers Baileys may add. */
export function classify(message: proto.IMessage): Classified {
  const content = normalizeMessageContent(message) ?? message;
  const text = content.conversation ?? content.extendedTextMessage?.text ?? undefined;
  if (text !== undefined && text !== null) return { type: 'text', text };
  for (const [field, type, mediaType] of MEDIA_FIELDS) {
    const media = content[field] as MediaContent | null | undefined;
    if (media) return { type, caption: media.caption ?? undefined, media: { content: media, mediaType } };
  }
  if (content.locationMessage || content.liveLocationMessage) return { type: 'location' };
  if (content.contactMessage || content.contactsArrayMessage) return { type: 'contact' };
  if (content.reactionMessage) return { type: 'reaction', text: content.reactionMessage.text ?? undefined };
  if (content.pollCreationMessage || content.pollCreationMessageV2 || content.pollCreationMessageV3) return { type: 'poll' };
  if (content.protocolMessage || content.senderKeyDistributionMessage) return { type: 'protocol' };
  return { type: 'other' };
}

export function mediaSummary(content: MediaContent, bytes: Buffer): ReceivedMedia {
  const num = (value: Parameters<typeof toNumber>[0] | null | undefined): number | undefined =>
    value === null || value === undefined ? undefined : toNumber(value);
  return {
    bytes,
    mimetype: content.mimetype ?? undefined,
    fileName: content.fileName ?? undefined,
    ptt: content.ptt ?? undefined,
    seconds: num(content.seconds),
    gifPlayback: content.gifPlayback ?? undefined,
    width: num(content.width),
    height: num(content.height),
    hasThumbnail: !!content.jpegThumbnail?.length,
  };
}
