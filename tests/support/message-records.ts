/**
 * Message records for repositories that join on them (edit/delete links, polls), written the way
 * each store writes them: through SqliteMessageRepository on the embedded store, and as the same
 * row in the shared store's `messages` table (which has no Kysely repository yet).
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../../src/cluster/sql/schema.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import type { SqliteDatabase } from '../../src/store/database.js';

export interface TestRecords {
  create(id: string, record: { waMessageId?: string; status: 'queued' | 'sent'; at: number }): Promise<void>;
  fail(id: string): Promise<void>;
  /** The record is gone (purged by retention). */
  remove(id: string): Promise<void>;
}

const PHONE = '6281234567890';

export function embeddedRecords(db: SqliteDatabase): TestRecords {
  const messages = new SqliteMessageRepository(db);
  return {
    create: async (id, r) => {
      await messages.create({
        id,
        waMessageId: r.waMessageId,
        phone: PHONE,
        jid: `${PHONE}@s.whatsapp.net`,
        type: 'text',
        status: r.status,
        at: new Date(r.at),
      });
    },
    fail: async (id) => {
      await messages.markStatusById(id, 'failed', new Date(), 'refused');
    },
    remove: async (id) => {
      db.prepare('DELETE FROM messages WHERE id = ?').run(id);
    },
  };
}

export function sharedRecords(db: Kysely<StoreSchema>, session: string): TestRecords {
  return {
    create: async (id, r) => {
      await db
        .insertInto('messages')
        .values({
          session,
          id,
          wa_message_id: r.waMessageId ?? null,
          phone: PHONE,
          jid: `${PHONE}@s.whatsapp.net`,
          type: 'text',
          summary: null,
          file_name: null,
          status: r.status,
          error: null,
          created_at: r.at,
          updated_at: r.at,
          queued_at: r.at,
          sent_at: r.status === 'sent' ? r.at : null,
          delivered_at: null,
          read_at: null,
          failed_at: null,
        })
        .execute();
    },
    fail: async (id) => {
      const now = Date.now();
      await db
        .updateTable('messages')
        .set({ status: 'failed', error: 'refused', failed_at: now, updated_at: now })
        .where('session', '=', session)
        .where('id', '=', id)
        .execute();
    },
    remove: async (id) => {
      await db.deleteFrom('messages').where('session', '=', session).where('id', '=', id).execute();
    },
  };
}
