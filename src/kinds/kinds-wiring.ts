/**
 * What the kinds need from WhatsApp's events: every vote in one of our polls becomes the voter's
 * current vote in the tally and a `poll.vote` webhook. (Received messages a reaction may name are
 * kept by the records' incoming store.)
 */
import type { Logger } from 'pino';
import { pollVoteEvent, type WebhookEvent } from '../webhooks/events.js';
import type { PollVote } from '../whatsapp/kinds.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import type { PollStore } from './poll-store.js';

/** Subscribes to the transport's events; returns the unsubscribe. */
export function wireKinds(transport: WhatsAppTransport, deps: { polls: PollStore; publish: (event: WebhookEvent) => void; logger: Logger }): () => void {
  const { polls, publish, logger } = deps;
  const onVote = async (vote: PollVote) => {
    try {
      const poll = await polls.byWaMessageId(vote.pollId);
      if (!poll) return;
      const voter = vote.voterPhoneJid ?? vote.voterLid ?? vote.voterJid;
      await polls.recordVote({
        recordId: poll.recordId,
        voter,
        voterPhone: vote.voterPhoneJid?.split('@')[0] ?? null,
        voterLid: vote.voterLid ?? null,
        options: vote.options,
        at: vote.at,
      });
      publish(pollVoteEvent(vote));
    } catch (error) {
      logger.error({ err: error, pollId: vote.pollId }, 'could not record a poll vote');
    }
  };
  const listener = (vote: PollVote) => void onVote(vote);
  transport.events.on('poll-vote', listener);
  return () => {
    transport.events.off('poll-vote', listener);
  };
}
