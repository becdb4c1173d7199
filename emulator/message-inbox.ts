import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, proto, unpadRandomMax16, type BinaryNode } from '@whiskeysockets/baileys';
import * as libsignal from 'libsignal';
import type { Logger } from 'pino';
import { partyOf, pnJid, type Directory, type Person } from './directory.js';
import { decryptMediaBlob } from './media-crypto.js';
import type { MediaServer } from './media-server.js';
import type { PairedDevice } from './paired-devices.js';
import { classify, mediaSummary, type ReceivedMessage } from './received-message.js';
import type { SignalMessageType } from './signal-party.js';

/** The Signal address the emulator's parties use for a companion device of the account. */
export const companionAddress = (accountLid: string, device: number): libsignal.ProtocolAddress => new libsignal.ProtocolAddress(`${accountLid}_1`, device);

interface EncryptedCopy {
  recipientJid: string;
  enc: BinaryNode;
}

/** The encrypted copies in a message stanza: one per `<participants><to>`, or a bare `<enc>` for peer messages. */
function encryptedCopies(stanza: BinaryNode): EncryptedCopy[] {
  const participants = getBinaryNodeChild(stanza, 'participants');
  if (participants) {
    return getBinaryNodeChildren(participants, 'to').flatMap((to) => {
      const enc = getBinaryNodeChild(to, 'enc');
      return enc && to.attrs.jid ? [{ recipientJid: to.attrs.jid, enc }] : [];
    });
  }
  const enc = getBinaryNodeChild(stanza, 'enc');
  return enc && stanza.attrs.to ? [{ recipientJid: stanza.attrs.to, enc }] : [];
}

/** Maps any user JID the directory knows to that person's phone JID; unknown JIDs pass through. */
function toPhoneJid(directory: Directory, jid: string | undefined | null): string {
  if (!jid) return '';
  const person = directory.resolve(jid);
  return person ? pnJid(person.phone) : jid;
}

/**
 * Decrypts every copy of a message the companion sent, as each recipient's phone would (libsignal,
 * with the sessions the emulator keeps per contact), and decrypts attached media from the upload.
 * Copies for other companions of the account are skipped: only their own keys could open them.
 */
export async function openOutgoingMessage(
  stanza: BinaryNode,
  sender: PairedDevice,
  directory: Directory,
  media: MediaServer,
  logger: Logger,
): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  const from = companionAddress(directory.account.lid, sender.device);
  for (const { recipientJid, enc } of encryptedCopies(stanza)) {
    const decoded = jidDecode(recipientJid);
    const person: Person | undefined = directory.resolve(recipientJid);
    if (!person || !(enc.content instanceof Uint8Array)) {
      logger.warn({ recipientJid }, 'message copy for an unknown recipient');
      continue;
    }
    // Copies for the account's other companions could be opened only with their own keys.
    const party = partyOf(person, decoded?.device ?? 0);
    if (!party || (person.isAccount && (decoded?.device ?? 0) !== 0)) continue;
    const base = {
      id: stanza.attrs.id ?? '',
      to: pnJid(person.phone),
      recipientDevice: recipientJid,
      isOwnDeviceCopy: person.isAccount,
      from: sender.jid,
      stanza: { ...stanza.attrs },
      receivedAt: new Date(),
    };
    let rawMessage: proto.IMessage;
    try {
      const plaintext = await party.decrypt(from, enc.attrs.type as SignalMessageType, enc.content);
      rawMessage = proto.Message.decode(unpadRandomMax16(plaintext));
    } catch (err) {
      logger.error({ err, recipientJid, id: base.id }, 'could not decrypt a message copy');
      received.push({ ...base, chat: toPhoneJid(directory, stanza.attrs.to), message: {}, rawMessage: {}, type: 'undecryptable', error: String(err) });
      continue;
    }
    const sent = person.isAccount ? rawMessage.deviceSentMessage : undefined;
    const message = sent?.message ?? rawMessage;
    const { type, text, caption, media: mediaContent } = classify(message);
    const record: ReceivedMessage = {
      ...base,
      chat: toPhoneJid(directory, sent?.destinationJid ?? stanza.attrs.to),
      destinationJid: sent?.destinationJid ?? undefined,
      message,
      rawMessage,
      type,
      text,
      caption,
    };
    if (mediaContent) {
      try {
        const { content, mediaType } = mediaContent;
        if (!content.mediaKey || !content.fileEncSha256) throw new Error('media message without mediaKey or fileEncSha256');
        const blob = media.blob(content.fileEncSha256);
        if (!blob) throw new Error('no upload matches the message fileEncSha256');
        const keys = { mediaKey: content.mediaKey, fileEncSha256: content.fileEncSha256, fileSha256: content.fileSha256 };
        const bytes = await decryptMediaBlob(blob.body, keys, mediaType);
        record.media = mediaSummary(content, bytes);
      } catch (err) {
        record.mediaError = err instanceof Error ? err.message : String(err);
        logger.error({ err, id: base.id }, 'could not open the media of a message');
      }
    }
    received.push(record);
  }
  return received;
}
