/**
 * Polls we sent and their votes in the shared store (SQLite or PostgreSQL through Kysely), one
 * session's among many: the same behaviour as SqlitePollRepository, every query scoped by
 * `session`. SqlitePollRepository is synchronous; a server database is not, so this one answers
 * PollStore's methods with promises (its callers await either).
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { SentPoll } from '../whatsapp/kinds.js';
import { tallyVotes, toStoredPoll, type PollTally, type StoredPoll, type VoteEntry } from './poll-repository.js';
import type { PollStore } from './poll-store.js';

export class KyselyPollRepository implements PollStore {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
  ) {}

  async save(poll: StoredPoll, at = Date.now()): Promise<void> {
    await this.db
      .insertInto('polls')
      .values({
        session: this.session,
        record_id: poll.recordId,
        question: poll.question,
        options: JSON.stringify(poll.options),
        selectable_count: poll.selectableCount,
        message_secret: Buffer.from(poll.messageSecret),
        created_at: at,
      })
      .onConflict((oc) => oc.columns(['session', 'record_id']).doNothing())
      .execute();
  }

  async get(recordId: string): Promise<StoredPoll | undefined> {
    const row = await this.db.selectFrom('polls').selectAll().where('session', '=', this.session).where('record_id', '=', recordId).executeTakeFirst();
    return row ? toStoredPoll(row) : undefined;
  }

  /** The poll sent under this WhatsApp id (what the adapter needs to decrypt its votes). */
  async find(pollId: string): Promise<SentPoll | undefined> {
    const poll = await this.byWaMessageId(pollId);
    return poll ? { options: poll.options, messageSecret: poll.messageSecret } : undefined;
  }

  async byWaMessageId(waMessageId: string): Promise<StoredPoll | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .select('id')
      .where('session', '=', this.session)
      .where('wa_message_id', '=', waMessageId)
      .executeTakeFirst();
    return row ? this.get(row.id) : undefined;
  }

  async recordVote(vote: VoteEntry): Promise<void> {
    await this.db
      .insertInto('poll_votes')
      .values({
        session: this.session,
        record_id: vote.recordId,
        voter: vote.voter,
        voter_phone: vote.voterPhone,
        voter_lid: vote.voterLid,
        options: JSON.stringify(vote.options),
        voted_at: vote.at,
      })
      .onConflict((oc) =>
        oc
          .columns(['session', 'record_id', 'voter'])
          .doUpdateSet((eb) => ({
            // A vote that names only one of the voter's ids keeps the other one known.
            voter_phone: eb.fn.coalesce('excluded.voter_phone', 'poll_votes.voter_phone'),
            voter_lid: eb.fn.coalesce('excluded.voter_lid', 'poll_votes.voter_lid'),
            options: eb.ref('excluded.options'),
            voted_at: eb.ref('excluded.voted_at'),
          }))
          .whereRef('excluded.voted_at', '>=', 'poll_votes.voted_at'),
      )
      .execute();
  }

  async tally(recordId: string): Promise<PollTally | null> {
    const poll = await this.get(recordId);
    if (!poll) return null;
    const rows = await this.db
      .selectFrom('poll_votes')
      .select(['voter_phone', 'voter_lid', 'options', 'voted_at'])
      .where('session', '=', this.session)
      .where('record_id', '=', recordId)
      .orderBy('voted_at')
      .execute();
    return tallyVotes(poll, rows);
  }

  /** A poll is written just before its record, so a young one without a record is not an orphan yet. */
  async purgeOrphans(before: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const purged = await trx
        .deleteFrom('polls')
        .where('session', '=', this.session)
        .where('created_at', '<', before)
        .where('record_id', 'not in', trx.selectFrom('messages').select('id').where('session', '=', this.session))
        .executeTakeFirst();
      await trx
        .deleteFrom('poll_votes')
        .where('session', '=', this.session)
        .where('record_id', 'not in', trx.selectFrom('polls').select('record_id').where('session', '=', this.session))
        .execute();
      return Number(purged.numDeletedRows);
    });
  }
}
