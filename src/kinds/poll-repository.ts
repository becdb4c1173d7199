/**
 * Polls we sent and the votes they got. A poll is kept under its message record (the question,
 * the options and the secret its votes are encrypted with); each voter's latest vote replaces
 * their earlier one, as WhatsApp shows it, and the tally is counted from those.
 */
import type { SqliteDatabase } from '../store/database.js';
import { StatementCache } from '../store/statement-cache.js';
import type { SentPoll, SentPollLookup } from '../whatsapp/kinds.js';

export interface StoredPoll {
  recordId: string;
  question: string;
  options: string[];
  selectableCount: number;
  messageSecret: Uint8Array;
}

export interface VoteEntry {
  recordId: string;
  /** The voter's identity: their phone JID when known, else their LID. */
  voter: string;
  voterPhone: string | null;
  voterLid: string | null;
  options: string[];
  /** Epoch ms. */
  at: number;
}

export interface PollTally {
  question: string;
  options: Array<{ name: string; votes: number }>;
  voters: Array<{ phone: string | null; lid: string | null; options: string[]; voted_at: string }>;
}

/** A `polls` row as both stores hold it (options as JSON text). */
export interface PollRow {
  record_id: string;
  question: string;
  options: string;
  selectable_count: number;
  message_secret: Buffer;
}

/** The `poll_votes` columns a tally reads, as both stores hold them. */
export interface VoteRow {
  voter_phone: string | null;
  voter_lid: string | null;
  options: string;
  voted_at: number;
}

export function toStoredPoll(row: PollRow): StoredPoll {
  return {
    recordId: row.record_id,
    question: row.question,
    options: JSON.parse(row.options) as string[],
    selectableCount: row.selectable_count,
    messageSecret: new Uint8Array(row.message_secret),
  };
}

/** The tally of `poll` from its votes, oldest first; a vote taken back (no options) counts for no one. */
export function tallyVotes(poll: StoredPoll, rows: VoteRow[]): PollTally {
  const voters = rows.map((r) => ({
    phone: r.voter_phone,
    lid: r.voter_lid,
    options: JSON.parse(r.options) as string[],
    voted_at: new Date(r.voted_at).toISOString(),
  }));
  const count = (name: string) => voters.filter((v) => v.options.includes(name)).length;
  return { question: poll.question, options: poll.options.map((name) => ({ name, votes: count(name) })), voters: voters.filter((v) => v.options.length > 0) };
}

export class SqlitePollRepository implements SentPollLookup {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  /** Kept once per record: a retry of the same request keeps the first poll (and its secret). */
  save(poll: StoredPoll, at = Date.now()): void {
    this.sql
      .prepare(
        `INSERT INTO polls (record_id, question, options, selectable_count, message_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (record_id) DO NOTHING`,
      )
      .run(poll.recordId, poll.question, JSON.stringify(poll.options), poll.selectableCount, Buffer.from(poll.messageSecret), at);
  }

  get(recordId: string): StoredPoll | undefined {
    const row = this.sql.prepare('SELECT * FROM polls WHERE record_id = ?').get(recordId) as PollRow | undefined;
    return row ? toStoredPoll(row) : undefined;
  }

  /** The poll sent under this WhatsApp id (what the adapter needs to decrypt its votes). */
  async find(pollId: string): Promise<SentPoll | undefined> {
    const poll = this.byWaMessageId(pollId);
    return poll ? { options: poll.options, messageSecret: poll.messageSecret } : undefined;
  }

  byWaMessageId(waMessageId: string): StoredPoll | undefined {
    const row = this.sql.prepare('SELECT id FROM messages WHERE wa_message_id = ?').get(waMessageId) as { id: string } | undefined;
    return row ? this.get(row.id) : undefined;
  }

  /** The voter's vote now; an older vote that arrives late does not replace a newer one. */
  recordVote(vote: VoteEntry): void {
    this.sql
      .prepare(
        `INSERT INTO poll_votes (record_id, voter, voter_phone, voter_lid, options, voted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (record_id, voter) DO UPDATE SET
           voter_phone = COALESCE(excluded.voter_phone, voter_phone), voter_lid = COALESCE(excluded.voter_lid, voter_lid),
           options = excluded.options, voted_at = excluded.voted_at
         WHERE excluded.voted_at >= poll_votes.voted_at`,
      )
      .run(vote.recordId, vote.voter, vote.voterPhone, vote.voterLid, JSON.stringify(vote.options), vote.at);
  }

  tally(recordId: string): PollTally | null {
    const poll = this.get(recordId);
    if (!poll) return null;
    const rows = this.sql
      .prepare('SELECT voter_phone, voter_lid, options, voted_at FROM poll_votes WHERE record_id = ? ORDER BY voted_at')
      .all(recordId) as VoteRow[];
    return tallyVotes(poll, rows);
  }

  /**
   * Polls (and their votes) whose message record is gone, kept since before `before` (epoch ms): a
   * poll is written just before its record, so a young one without a record is not an orphan yet.
   */
  purgeOrphans(before: number): number {
    const purged = this.sql.prepare('DELETE FROM polls WHERE created_at < ? AND record_id NOT IN (SELECT id FROM messages)').run(before).changes;
    this.sql.prepare('DELETE FROM poll_votes WHERE record_id NOT IN (SELECT record_id FROM polls)').run();
    return purged;
  }
}
