import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { proto } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type Person } from './directory.js';
import type { GroupState } from './groups.js';
import type { ReceivedMessage } from './received-message.js';

/** What a voter's phone needs to know about the poll it votes in. */
export interface PollToVoteIn {
  /** The poll creation message's id. */
  id: string;
  /** messageContextInfo.messageSecret of the poll creation message (32 bytes). */
  messageSecret: Uint8Array;
  /** The poll creator's JID as the vote names it (user JID, no device). */
  creatorJid: string;
  /** The key of the poll as the voter sees it (remoteJid = the chat from the voter's side, participant in groups). */
  key: proto.IMessageKey;
}

/**
 * A vote as WhatsApp encrypts it (pollUpdateMessage): the selected options are sha256 hashes of
 * the option names, in a PollVoteMessage sealed with AES-256-GCM under a key derived from the
 * poll's messageSecret: HMAC-SHA256 with a zero key over the secret, then HMAC-SHA256 with that
 * over pollId ‖ creator ‖ voter ‖ "Poll Vote" ‖ 0x01; the AAD is "pollId\0voter".
 * This is what Baileys' `decryptPollVote` reverses, given the same creator and voter JIDs.
 */
export function encryptPollVote(poll: PollToVoteIn, voterJid: string, chosen: string[]): proto.IMessage {
  const selectedOptions = chosen.map((name) => createHash('sha256').update(Buffer.from(name)).digest());
  const plaintext = encodePollVote(selectedOptions);
  const key0 = createHmac('sha256', Buffer.alloc(32)).update(poll.messageSecret).digest();
  const sign = Buffer.concat([Buffer.from(poll.id), Buffer.from(poll.creatorJid), Buffer.from(voterJid), Buffer.from('Poll Vote'), Buffer.from([1])]);
  const encKey = createHmac('sha256', key0).update(sign).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encKey, iv);
  cipher.setAAD(Buffer.from(`${poll.id}\u0000${voterJid}`));
  const encPayload = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: poll.key,
      vote: { encPayload, encIv: iv },
      senderTimestampMs: Date.now(),
    },
  };
}

// PollVoteMessage { repeated bytes selectedOptions = 1; } written by hand so the sealed bytes do not
// come from the same protobuf code that the receiving side decodes them with.
function encodePollVote(options: Buffer[]): Buffer {
  return Buffer.concat(options.flatMap((option) => [Buffer.from([0x0a, option.length]), option]));
}

/**
 * How a voter's phone sees a poll the companion sent: its id and secret, and the JIDs the vote is
 * bound to. They follow the chat's addressing: phone JIDs in a phone-addressed chat ('pn', the
 * default for a person), LIDs in a LID chat and in LID groups. A receiver must name the creator and
 * voter the same way to open the vote.
 */
export function votingView(
  poll: ReceivedMessage,
  voter: Person,
  account: Person,
  group: GroupState | undefined,
  addressing: 'pn' | 'lid' = 'pn',
): { poll: PollToVoteIn; voterJid: string } {
  const messageSecret = poll.message.messageContextInfo?.messageSecret ?? poll.rawMessage.messageContextInfo?.messageSecret;
  if (!messageSecret?.length) throw new Error(`message ${poll.id} has no messageSecret: not a poll the emulator can vote in`);
  const byLid = group ? group.addressingMode === 'lid' : addressing === 'lid';
  const jidOf = (person: Person): string => (byLid ? lidJid(person.lid) : pnJid(person.phone));
  const creatorJid = jidOf(account);
  const key: proto.IMessageKey = group
    ? { remoteJid: group.jid, fromMe: false, id: poll.id, participant: creatorJid }
    : { remoteJid: creatorJid, fromMe: false, id: poll.id };
  return { poll: { id: poll.id, messageSecret, creatorJid, key }, voterJid: jidOf(voter) };
}
