/**
 * Either store's polls: SqlitePollRepository answers synchronously (better-sqlite3),
 * KyselyPollRepository with promises (the shared store). Callers await, which serves both and
 * leaves the embedded path's answers as they were.
 */
import type { SentPollLookup } from '../whatsapp/kinds.js';
import type { PollTally, StoredPoll, VoteEntry } from './poll-repository.js';

type Answer<T> = T | Promise<T>;

export interface PollStore extends SentPollLookup {
  /** Kept once per record: a retry of the same request keeps the first poll (and its secret). */
  save(poll: StoredPoll, at?: number): Answer<void>;
  get(recordId: string): Answer<StoredPoll | undefined>;
  byWaMessageId(waMessageId: string): Answer<StoredPoll | undefined>;
  /** The voter's vote now; an older vote that arrives late does not replace a newer one. */
  recordVote(vote: VoteEntry): Answer<void>;
  tally(recordId: string): Answer<PollTally | null>;
  /** Polls (and their votes) whose message record is gone, kept since before `before` (epoch ms). */
  purgeOrphans(before: number): Answer<number>;
}
