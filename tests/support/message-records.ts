/**
 * Message records for repositories that join on them (edit/delete links, polls), written through
 * each store's own message repository: SqliteMessageRepository on the embedded store,
 * KyselyMessageRepository in the shared store.
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../../src/cluster/sql/schema.js';
import { KyselyMessageRepository } from '../../src/records/kysely-message-repository.js';
import type { MessageRepository } from '../../src/records/message-repository.js';
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
  return recordsOf(new SqliteMessageRepository(db), async (id) => {
    db.prepare('DELETE FROM messages WHERE id = ?').run(id);
  });
}

export function sharedRecords(db: Kysely<StoreSchema>, session: string): TestRecords {
  return recordsOf(new KyselyMessageRepository(db, session), async (id) => {
    await db.deleteFrom('messages').where('session', '=', session).where('id', '=', id).execute();
  });
}

/** Retention purges by age; a test removes the one record it names, hence `remove` by hand. */
function recordsOf(messages: MessageRepository, remove: (id: string) => Promise<void>): TestRecords {
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
    remove,
  };
}
