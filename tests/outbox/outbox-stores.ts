/**
 * The outbox and the message records over one store, as the gateway pairs them, for the outbox
 * tests that run on every store (`useRepository(store, outboxStores)`), and their sample jobs.
 */
import { encodeJobContent } from '../../src/outbox/job-content.js';
import { KyselyOutboxRepository } from '../../src/outbox/kysely-outbox-repository.js';
import type { NewOutboxJob, OutboxLimits, OutboxRepository } from '../../src/outbox/outbox-repository.js';
import { SqliteOutboxRepository } from '../../src/outbox/sqlite-outbox-repository.js';
import { KyselyMessageRepository } from '../../src/records/kysely-message-repository.js';
import type { MessageRepository } from '../../src/records/message-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import type { RepositoryFactories } from '../support/store-implementations.js';

export const A = '6281111111111@s.whatsapp.net';
export const B = '6282222222222@s.whatsapp.net';
export const LIMITS: OutboxLimits = { maxBytes: 10_000, maxJobs: 100 };

export interface OutboxStore {
  outbox: OutboxRepository;
  messages: MessageRepository;
  /** The same session's outbox with other quotas. */
  withLimits(limits: OutboxLimits): OutboxRepository;
  /** Rows of media kept in the store with jobs, every session's (the embedded store keeps none). */
  storedMediaRows(): Promise<number>;
  /** Deletes a job's row behind the repository's back (by hand, or by a bug): its media row stays. */
  removeJobRow(messageId: string): Promise<void>;
}

export const outboxStores: RepositoryFactories<OutboxStore> = {
  embedded: (db) => ({
    outbox: new SqliteOutboxRepository(db, LIMITS),
    messages: new SqliteMessageRepository(db),
    withLimits: (limits) => new SqliteOutboxRepository(db, limits),
    storedMediaRows: async () => 0,
    removeJobRow: async (messageId) => {
      db.prepare('DELETE FROM outbox_jobs WHERE message_id = ?').run(messageId);
    },
  }),
  shared: (db, session) => ({
    outbox: new KyselyOutboxRepository(db, session, LIMITS),
    messages: new KyselyMessageRepository(db, session),
    withLimits: (limits) => new KyselyOutboxRepository(db, session, limits),
    storedMediaRows: async () =>
      Number(
        (
          await db
            .selectFrom('outbox_media')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    removeJobRow: async (messageId) => {
      await db.deleteFrom('outbox_jobs').where('session', '=', session).where('message_id', '=', messageId).execute();
    },
  }),
};

export const text = (messageId: string, jid = A): NewOutboxJob => ({ messageId, jid, kind: 'text', text: `text of ${messageId}` });

export const image = (messageId: string, bytes: number): NewOutboxJob => ({
  messageId,
  jid: A,
  kind: 'image',
  media: { path: `/spool/${messageId}.jpg`, bytes, fileName: 'photo.jpg', mimetype: 'image/jpeg', caption: 'hi' },
  options: { viewOnce: false },
});

/** A routed image: its bytes kept with the job in the store rather than in a spool file. */
export const storedImage = (messageId: string, data: Buffer): NewOutboxJob => ({
  messageId,
  jid: A,
  kind: 'image',
  media: { path: null, bytes: data.length, fileName: 'photo.jpg', mimetype: 'image/jpeg', caption: null },
  mediaData: data,
  options: encodeJobContent({ kind: 'image', path: '', mimetype: 'image/jpeg', fileName: 'photo.jpg' }),
});
