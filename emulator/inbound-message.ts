import { encodeWAMessage, generateMessageID, normalizeMessageContent, type BinaryNode, proto } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type Person } from './directory.js';
import { companionAddress } from './message-inbox.js';
import type { PairedDevice, PairedDevices } from './paired-devices.js';

export interface IncomingMessageOptions {
  /** Message id; a WhatsApp-looking one is generated when absent. */
  id?: string;
  /**
   * How the sender is addressed: 'pn' sends from the phone JID with a sender_lid hint,
   * 'lid' from the LID with a sender_pn hint (what WhatsApp mostly does today). Default 'pn'.
   */
  addressing?: 'pn' | 'lid';
  /** Push name shown by Baileys (msg.pushName); defaults to the contact's pushName. */
  pushName?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /**
   * Flips a bit of the Signal message's MAC, as a forger or a corrupted session would: the
   * companion's decryption fails with 'Bad MAC'. Needs a `msg` (whose MAC is its last 8 bytes):
   * a contact keeps sending `pkmsg` until the companion has written to it, so do that first.
   */
  corruptMac?: boolean;
}

/**
 * Encrypts a message from a contact's phone to one companion device. The contact's session with
 * the companion is reused when one exists (then it is a `msg`); otherwise a session is built from
 * the bundle the companion uploaded with `encrypt set`, consuming one of its prekeys (`pkmsg`).
 */
export async function buildIncomingStanza(
  sender: Person,
  accountLid: string,
  device: PairedDevice,
  devices: PairedDevices,
  message: proto.IMessage,
  options: IncomingMessageOptions & { id: string },
): Promise<BinaryNode> {
  const { type, ciphertext } = await sender.party.encrypt(companionAddress(accountLid, device.device), encodeWAMessage(message), () =>
    devices.takeBundle(device),
  );
  if (options.corruptMac) {
    if (type !== 'msg') throw new Error('corruptMac needs a `msg`: have the companion write to this contact first');
    const last = ciphertext.length - 1;
    ciphertext.writeUInt8(ciphertext.readUInt8(last) ^ 0x01, last);
  }
  const byLid = options.addressing === 'lid';
  const attrs: Record<string, string> = {
    from: byLid ? lidJid(sender.lid) : pnJid(sender.phone),
    id: options.id,
    t: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    type: stanzaType(message),
  };
  if (byLid) attrs.sender_pn = pnJid(sender.phone);
  else attrs.sender_lid = lidJid(sender.lid);
  const pushName = options.pushName ?? sender.pushName;
  if (pushName) attrs.notify = pushName;
  return { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }] };
}

/** The stanza type WhatsApp gives a message (as Baileys' getMessageType does when it sends one). */
export function stanzaType(message: proto.IMessage): string {
  const content = normalizeMessageContent(message) ?? message;
  if (content.reactionMessage || content.encReactionMessage) return 'reaction';
  if (content.pollCreationMessage || content.pollCreationMessageV2 || content.pollCreationMessageV3 || content.pollUpdateMessage) return 'poll';
  // Baileys' getMediaType list: a static location is 'text', a contact card is media ('vcard').
  const media =
    content.imageMessage ||
    content.videoMessage ||
    content.audioMessage ||
    content.documentMessage ||
    content.stickerMessage ||
    content.contactMessage ||
    content.contactsArrayMessage ||
    content.liveLocationMessage;
  return media ? 'media' : 'text';
}

export const newMessageId = (): string => generateMessageID();
