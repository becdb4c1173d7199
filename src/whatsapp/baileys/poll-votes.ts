/**
 * Votes in the polls we sent, decrypted. Baileys rc14 leaves this to the app (its own code for it
 * is commented out): a vote is AES-GCM under a key derived from the poll's messageSecret, the poll
 * id, and the creator's and voter's JIDs as the chat names them (phone JIDs in a phone-addressed
 * chat, LIDs in a LID-addressed one or a LID group). Both are tried: GCM's tag tells which.
 */
import { decryptPollVote, getAggregateVotesInPollMessage, jidNormalizedUser, proto, toNumber, type WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { PollVote, SentPollLookup } from '../kinds.js';

export interface AccountJids {
  /** The account's phone JID (a device suffix is fine). */
  id: string;
  lid?: string;
}

/** True when the message is a vote (pollUpdateMessage), whoever's poll it is. */
export function isPollVote(message: WAMessage): boolean {
  return !!message.message?.pollUpdateMessage;
}

/**
 * The vote in `message`, decrypted, when it is a vote in a poll we keep; undefined for a poll we did
 * not send. Throws when the vote does not decrypt with the kept secret.
 */
export async function readPollVote(message: WAMessage, account: AccountJids, polls: SentPollLookup): Promise<PollVote | undefined> {
  const update = message.message?.pollUpdateMessage;
  const pollId = update?.pollCreationMessageKey?.id;
  if (!update?.vote || !pollId || !message.key.remoteJid) return undefined;
  const poll = await polls.find(pollId);
  if (!poll) return undefined;
  const key = message.key as WAMessage['key'] & { participantAlt?: string; remoteJidAlt?: string };
  const ours = [account.id, account.lid].filter((jid): jid is string => !!jid).map((jid) => jidNormalizedUser(jid));
  // A vote from the account's own phone names the account as voter, in the chat's addressing;
  // anyone else's names them, and the creator (us) in their addressing: a LID voter sees our LID.
  const pairs: Array<[creator: string, voter: string]> = key.fromMe
    ? ours.map((jid) => [jid, jid])
    : ours.map((jid) => [jid, jidNormalizedUser(key.participant || key.remoteJid || undefined)]);
  if (!key.fromMe && pairs[0]?.[1].endsWith('@lid')) pairs.reverse();
  let vote: proto.Message.PollVoteMessage | undefined;
  let voterJid = pairs[0]?.[1] ?? '';
  let lastError: unknown;
  for (const [creator, voter] of pairs) {
    try {
      vote = decryptPollVote(update.vote, { pollCreatorJid: creator, pollMsgId: pollId, pollEncKey: poll.messageSecret, voterJid: voter });
      voterJid = voter;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!vote) throw lastError instanceof Error ? lastError : new Error('the vote did not decrypt');
  // Option hashes (sha256 of each name) back to the names, as Baileys counts them.
  const creation = { pollCreationMessage: { options: poll.options.map((optionName) => ({ optionName })) } };
  const counted = getAggregateVotesInPollMessage({ message: creation, pollUpdates: [{ pollUpdateMessageKey: key, vote }] });
  const alt = key.fromMe ? undefined : key.participantAlt || key.remoteJidAlt;
  const jids = key.fromMe ? ours : [voterJid, alt ? jidNormalizedUser(alt) : undefined];
  const sentAt = update.senderTimestampMs ? toNumber(update.senderTimestampMs) : toNumber(message.messageTimestamp ?? 0) * 1000;
  return {
    pollId,
    chatJid: jidNormalizedUser(key.remoteJid ?? undefined),
    voterJid,
    voterPhoneJid: jids.find((j) => j?.endsWith('@s.whatsapp.net')),
    voterLid: jids.find((j) => j?.endsWith('@lid')),
    options: counted.filter((option) => option.voters.length > 0).map((option) => option.name),
    at: sentAt || Date.now(),
  };
}

/** Decrypts a vote in one of our polls and hands it to `emit`; votes in polls we do not keep are ignored. */
export function reportPollVote(
  message: WAMessage,
  account: AccountJids | undefined,
  polls: SentPollLookup | undefined,
  emit: (vote: PollVote) => void,
  logger: Pick<Logger, 'debug' | 'warn'>,
): void {
  if (!polls || !account) return;
  readPollVote(message, account, polls)
    .then((vote) => {
      if (vote) emit(vote);
      else logger.debug({ id: message.key.id }, 'a vote in a poll the gateway did not send (or no longer keeps) was ignored');
    })
    .catch((error: unknown) => logger.warn({ err: error, id: message.key.id }, 'could not decrypt a poll vote'));
}
