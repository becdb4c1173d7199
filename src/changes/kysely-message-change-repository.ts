/**
 * Edits and deletes of sent messages in the shared store (SQLite or PostgreSQL through Kysely), one
 * session's among many: the same behaviour and order as SqliteMessageChangeRepository, every query
 * scoped by `session`, and the join on the action's record kept within the session.
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { ChangeKind } from '../domain/vocabulary.js';
import { toChange, type MessageChange, type MessageChangeRepository } from './message-change-repository.js';

export class KyselyMessageChangeRepository implements MessageChangeRepository {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
  ) {}

  async add(change: { actionId: string; targetId: string; kind: ChangeKind; text: string | null; at?: Date }): Promise<void> {
    await this.db
      .insertInto('message_changes')
      .values({
        session: this.session,
        action_id: change.actionId,
        target_id: change.targetId,
        kind: change.kind,
        text: change.text,
        created_at: (change.at ?? new Date()).getTime(),
      })
      .execute();
  }

  async purgeOrphans(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('message_changes')
      .where('session', '=', this.session)
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('messages as m')
              .select('m.seq')
              .whereRef('m.session', '=', 'message_changes.session')
              .whereRef('m.id', '=', 'message_changes.action_id'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async forTarget(targetId: string): Promise<MessageChange[]> {
    const rows = await this.withRecords().where('c.target_id', '=', targetId).orderBy('c.created_at').orderBy('m.seq').execute();
    return rows.map(toChange);
  }

  async byAction(actionId: string): Promise<MessageChange | null> {
    const row = await this.withRecords().where('c.action_id', '=', actionId).executeTakeFirst();
    return row ? toChange(row) : null;
  }

  /** The session's changes joined on their action records: a link whose record never came is invisible. */
  private withRecords() {
    return this.db
      .selectFrom('message_changes as c')
      .innerJoin('messages as m', (join) => join.onRef('m.session', '=', 'c.session').onRef('m.id', '=', 'c.action_id'))
      .select(['c.action_id', 'c.target_id', 'c.kind', 'c.text', 'c.created_at', 'm.status', 'm.sent_at', 'm.wa_message_id'])
      .where('c.session', '=', this.session);
  }
}
