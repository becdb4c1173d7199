/**
 * What the kinds need from WhatsApp's events: every received message's id and sender are kept, so
 * a reaction can name it; every vote in one of our polls becomes the voter's current
 * vote in the tally and a `poll.vote` webhook.
 */
import type { Logger } from 'pino';
import { pollVoteEvent, type WebhookEvent } from '../webhooks/events.js';
import type { PollVote } from '../whatsapp/kinds.js';
import type { IncomingMessage, WhatsAppTransport } from '../whatsapp/transport.js';
import type { SqlitePollRepository } from './poll-repository.js';
import type { SqliteReceivedMessages } from './received-messages.js';

/** Subscribes to the transport's events; returns the unsubscribe. */
export function wireKinds(
  transport: WhatsAppTransport,
  deps: { polls: SqlitePollRepository; received: SqliteReceivedMessages; publish: (event: WebhookEvent) => void; logger: Logger },
): () => void {
  const { polls, received, publish, logger } = deps;
  const onIncoming = (message: IncomingMessage) => {
    try {
      received.save({
        messageId: message.messageId,
        fromJid: message.from,
        fromPhoneJid: message.fromPhoneJid ?? null,
        fromLid: message.fromLid ?? null,
        receivedAt: Date.now(),
      });
    } catch (error) {
      logger.error({ err: error }, 'could not keep the id of an incoming message');
    }
  };
  const onVote = (vote: PollVote) => {
    try {
      const poll = polls.byWaMessageId(vote.pollId);
      if (!poll) return;
      const voter = vote.voterPhoneJid ?? vote.voterLid ?? vote.voterJid;
      polls.recordVote({
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
  transport.events.on('incoming-message', onIncoming);
  transport.events.on('poll-vote', onVote);
  return () => {
    transport.events.off('poll-vote', onVote);
    transport.events.off('incoming-message', onIncoming);
  };
}
