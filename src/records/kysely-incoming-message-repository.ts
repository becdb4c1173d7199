/**
 * Received messages in the shared store (SQLite or PostgreSQL through Kysely), one session's among
 * many: the same behaviour, ordering and cursors as SqliteIncomingMessageRepository, every query
 * scoped by `session` (a message id is unique per session, not across them).
 */
import type { Kysely } from 'kysely';
import { keysetPage } from '../cluster/sql/keyset-page.js';
import type { StoreSchema } from '../cluster/sql/schema.js';
import { MEDIA_KINDS } from '../domain/vocabulary.js';
import { MAX_PAGE_SIZE, type Page } from '../store/cursor.js';
import {
  toReceived,
  type IncomingMessageRepository,
  type ReceivedMessage,
  type ReceivedMessageQuery,
  type StoredIncomingMessage,
} from './incoming-message-repository.js';
import { DEFAULT_PAGE_SIZE } from './message-repository.js';

export class KyselyIncomingMessageRepository implements IncomingMessageRepository {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly session: string,
  ) {}

  async save(m: StoredIncomingMessage): Promise<boolean> {
    const inserted = await this.db
      .insertInto('received_messages')
      .values({
        session: this.session,
        message_id: m.messageId,
        chat: m.chat ?? m.fromJid,
        from_jid: m.fromJid,
        from_phone: m.fromPhone ?? null,
        type: m.type,
        summary: m.summary ?? null,
        data: m.data ? JSON.stringify(m.data) : null,
        raw: m.raw,
        sent_at: m.sentAt ?? m.receivedAt,
        received_at: m.receivedAt,
      })
      .onConflict((oc) => oc.columns(['session', 'message_id']).doNothing())
      // A row comes back only when it was inserted: the same answer on both dialects.
      .returning('seq')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async get(messageId: string): Promise<StoredIncomingMessage | null> {
    const found = await this.findReceived(messageId);
    return found ? { ...found, data: found.data ?? undefined } : null;
  }

  async findReceived(messageId: string): Promise<ReceivedMessage | null> {
    const row = await this.db
      .selectFrom('received_messages')
      .selectAll()
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    return row ? toReceived(row) : null;
  }

  async list(query: ReceivedMessageQuery = {}): Promise<Page<ReceivedMessage>> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    const { type, phone } = query;
    const from = query.from?.getTime();
    const to = query.to?.getTime();
    const filtered = this.db
      .selectFrom('received_messages')
      .where('session', '=', this.session)
      .$if(type !== undefined, (qb) => qb.where('type', '=', type!))
      // phone: the sender, or the chat with that number.
      .$if(phone !== undefined, (qb) => qb.where((eb) => eb.or([eb('from_phone', '=', phone!), eb('chat', '=', phone!)])))
      .$if(from !== undefined, (qb) => qb.where('received_at', '>=', from!))
      .$if(to !== undefined, (qb) => qb.where('received_at', '<', to!));
    return keysetPage(filtered.selectAll(), { limit, cursor: query.cursor }, toReceived);
  }

  async markEdited(messageId: string, text: string | null, at: number): Promise<ReceivedMessage | null> {
    const row = await this.db
      .updateTable('received_messages')
      .set({ edited_text: text, edited_at: at })
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .returningAll()
      .executeTakeFirst();
    return row ? toReceived(row) : null;
  }

  /**
   * The first revoke counts; a repeated one leaves the time. As in the embedded store, a media
   * message's raw (its media key and URL, the handle GET /api/media decrypts with) is emptied.
   */
  async markRevoked(messageId: string, at: number): Promise<ReceivedMessage | null> {
    await this.db
      .updateTable('received_messages')
      .set((eb) => ({
        revoked_at: at,
        raw: eb
          .case()
          .when('type', 'in', [...MEDIA_KINDS])
          .then('')
          .else(eb.ref('raw'))
          .end(),
      }))
      .where('session', '=', this.session)
      .where('message_id', '=', messageId)
      .where('revoked_at', 'is', null)
      .execute();
    return this.findReceived(messageId);
  }

  async purgeBefore(time: number): Promise<number> {
    const result = await this.db.deleteFrom('received_messages').where('session', '=', this.session).where('received_at', '<', time).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
