/**
 * The kinds of content beyond text and media (members of OutgoingContent), and what the port tells
 * about votes in the polls we sent. Kept apart from transport.ts so each kind stays a few lines.
 */
import type { MessageContext } from './transport.js';

/** A pin on the map. */
export interface OutgoingLocation {
  kind: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  context?: MessageContext;
}

/** One or more contact cards; the vCards are built by the gateway (src/kinds/vcard.ts). */
export interface OutgoingContacts {
  kind: 'contact';
  contacts: Array<{ displayName: string; vcard: string }>;
  context?: MessageContext;
}

/** Which message a reaction is about, as WhatsApp keys it. */
export interface MessageTarget {
  id: string;
  /** The chat the message is in. */
  remoteJid: string;
  /** True for a message the account sent. */
  fromMe: boolean;
  /** In groups: who sent it (absent for our own messages: the adapter names the account as WhatsApp keyed the message). */
  participant?: string;
}

/** An emoji on a message; '' takes the reaction back. */
export interface OutgoingReaction {
  kind: 'reaction';
  emoji: string;
  target: MessageTarget;
  context?: MessageContext;
}

/**
 * A poll. `messageSecret` is chosen by the gateway (32 random bytes) and kept with the poll, so a
 * resend under the same id (outbox, idempotent retry) carries the same secret, and votes, which
 * are encrypted with it, can be read however long after they come.
 */
export interface OutgoingPoll {
  kind: 'poll';
  question: string;
  options: string[];
  /** 1 = single choice; 0 = any number (WhatsApp's "allow multiple answers"). */
  selectableCount: number;
  messageSecret: Uint8Array;
  context?: MessageContext;
}

/** A vote in a poll the account sent, decrypted: the options the voter has chosen now. */
export interface PollVote {
  /** WhatsApp id of the poll. */
  pollId: string;
  /** The chat the vote came in (the person, or the group). */
  chatJid: string;
  /** The voter as WhatsApp named them (phone JID or LID, no device). */
  voterJid: string;
  voterPhoneJid?: string;
  voterLid?: string;
  /** Option names chosen; [] when the voter took their vote back. */
  options: string[];
  /** Epoch ms of the vote, as the voter's phone stamped it. */
  at: number;
}

/** What the adapter needs of a poll we sent to read its votes. */
export interface SentPoll {
  options: string[];
  messageSecret: Uint8Array;
}

export interface SentPollLookup {
  /** By the poll's WhatsApp id; undefined for polls the gateway did not send (or no longer keeps). */
  find(pollId: string): Promise<SentPoll | undefined>;
}
