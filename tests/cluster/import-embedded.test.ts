/**
 * The upgrade of an existing install: one session's embedded SQLite file copied into the shared
 * store (Kysely on SQLite and on PostgreSQL), read back through the shared store's repositories
 * with the answers the embedded ones give; a second run changes nothing; a session a node drives
 * is refused before anything is copied.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SqliteMessageChangeRepository } from '../../src/changes/message-change-repository.js';
import { KyselyMessageChangeRepository } from '../../src/changes/kysely-message-change-repository.js';
import { importEmbeddedSession, SessionDrivenError } from '../../src/cluster/import-embedded.js';
import { FencedKeyStore } from '../../src/cluster/fenced-key-store.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import type { SqlDatabase } from '../../src/cluster/sql/database.js';
import { KyselyIdempotencyRepository } from '../../src/http/kysely-idempotency-repository.js';
import { SqliteIdempotencyRepository } from '../../src/http/idempotency-repository.js';
import { KyselyPollRepository } from '../../src/kinds/kysely-poll-repository.js';
import { SqlitePollRepository } from '../../src/kinds/poll-repository.js';
import { SqliteIncomingMessageRepository } from '../../src/records/incoming-message-repository.js';
import { KyselyIncomingMessageRepository } from '../../src/records/kysely-incoming-message-repository.js';
import { KyselyRetryCounterRepository, KyselySentContentRepository } from '../../src/records/kysely-sent-content-repository.js';
import { AesGcmContentCipher } from '../../src/records/sent-content-cipher.js';
import { SqliteRetryCounterRepository, SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { KyselyOutboxRepository } from '../../src/outbox/kysely-outbox-repository.js';
import { SqliteOutboxRepository } from '../../src/outbox/sqlite-outbox-repository.js';
import { KyselySessionRegistry } from '../../src/sessions/kysely-session-registry.js';
import { hashSessionKey, newSessionKey } from '../../src/sessions/session-keys.js';
import { SqliteSessionRegistry } from '../../src/sessions/session-registry.js';
import { useFencedAuthState } from '../../src/whatsapp/baileys/fenced-auth-state.js';
import { AccountRestrictions } from '../../src/messaging/account-restrictions.js';
import { KyselyRestrictionStore } from '../../src/messaging/kysely-restriction-store.js';
import { SqliteRestrictionStore } from '../../src/messaging/restriction-store.js';
import { useSqliteAuthState } from '../../src/whatsapp/baileys/sqlite-auth-state.js';
import { KyselyWebhookDeliveryRepository } from '../../src/webhooks/kysely-webhook-delivery-repository.js';
import { SqliteWebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';
import { tempDatabase } from '../store/temp-db.js';

const cipher = new AesGcmContentCipher(randomBytes(32));
const PHONE = '6281234567890';
const JID = `${PHONE}@s.whatsapp.net`;
const response = { statusCode: 200, body: { status: 'success', data: { message_id: 'REC1' } } };

/** An install that has been used: a record of every kind the shared store keeps, and a linked device. */
async function usedInstall(db: ReturnType<typeof tempDatabase>['db']): Promise<void> {
  const idempotency = new SqliteIdempotencyRepository(db);
  await idempotency.begin({ scope: 'client', key: 'k1', fingerprint: 'f1' }, 1000);
  await idempotency.bindMessage('client', 'k1', 'REC1');
  await idempotency.complete('client', 'k1', response);
  await idempotency.begin({ scope: 'client', key: 'k2', fingerprint: 'f2' }, 1000);

  const messages = new SqliteMessageRepository(db);
  for (const [i, id] of ['REC1', 'REC2', 'REC3'].entries()) {
    await messages.create({ id, waMessageId: `WA${i}`, phone: PHONE, jid: JID, type: 'text', status: 'sent', at: new Date(1000 + i) });
  }
  await new SqliteMessageChangeRepository(db).add({ actionId: 'REC3', targetId: 'REC1', kind: 'edit', text: 'edited', at: new Date(2000) });
  const polls = new SqlitePollRepository(db);
  polls.save({ recordId: 'REC2', question: 'Lunch?', options: ['rice', 'noodles'], selectableCount: 1, messageSecret: randomBytes(32) }, 1500);
  polls.recordVote({ recordId: 'REC2', voter: JID, voterPhone: PHONE, voterLid: null, options: ['rice'], at: 1600 });

  const deliveries = new SqliteWebhookDeliveryRepository(db);
  const [first] = await deliveries.enqueue([{ eventId: 'E1', eventType: 'message.sent', url: 'https://crm.example.com/hook', payload: '{"a":1}' }], 1000);
  await deliveries.enqueue([{ eventId: 'E2', eventType: 'message.incoming', url: 'https://crm.example.com/hook', payload: '{"b":2}' }], 1100);
  await deliveries.markDelivered(first!.id, 1200, 200);

  const incoming = new SqliteIncomingMessageRepository(db);
  await incoming.save({ messageId: 'IN1', fromJid: JID, type: 'text', raw: '{}', receivedAt: 1000, summary: 'hello', data: { text: 'hello' } });
  await incoming.save({ messageId: 'IN2', fromJid: JID, type: 'text', raw: '{}', receivedAt: 1100, summary: 'bye' });
  await incoming.markEdited('IN1', 'hello again', 1300);

  await new SqliteSentContentRepository(db, cipher).save({ waMessageId: 'WA0', jid: JID, content: Buffer.from('protobuf'), at: 1000 });
  new SqliteRetryCounterRepository(db, 60_000, () => 1000).set('WA0:jid', 2);
  new SqliteSessionRegistry(db, cipher).add(
    { name: 'sales', webhook: { url: 'https://sales.example.com/hook', secret: 'sales-secret-0123456789' }, proxy: null, createdAt: new Date(1000) },
    hashSessionKey(newSessionKey()),
  );

  const auth = await useSqliteAuthState(db);
  await auth.state.keys.set({
    'pre-key': { '1': { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) }, '2': { public: Buffer.alloc(32, 3), private: Buffer.alloc(32, 4) } },
  });
  await auth.saveCreds();

  // A restriction WhatsApp put on the account (the embedded `meta` row).
  new AccountRestrictions(db, () => 1000).restrict({
    code: 463,
    reason: 'reachout_timelock',
    messageId: 'WA9',
    until: '2030-01-01T00:00:00.000Z',
    at: '1970-01-01T00:00:01.000Z',
  });

  // A send still queued, and the pacing history (left behind).
  db.prepare("INSERT INTO outbox_jobs (message_id, jid, kind, text, status, created_at) VALUES ('REC9', ?, 'text', 'queued', 'queued', 1000)").run(JID);
  db.prepare('INSERT INTO send_log (jid, at) VALUES (?, 1000)').run(JID);
}

/** Every row of the shared store's session tables, without the store's own counter. */
async function snapshot(store: SqlDatabase): Promise<Record<string, unknown[]>> {
  const tables = [
    'idempotency_keys',
    'webhook_deliveries',
    'received_messages',
    'messages',
    'outbox_jobs',
    'message_changes',
    'polls',
    'poll_votes',
    'sent_content',
    'retry_counters',
    'sessions',
    'session_keys',
    'account_restrictions',
  ] as const;
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = (await store.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    out[table] = rows.map(({ seq: _seq, ...row }) => row).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

describe.each(DIALECTS)('importing an embedded install into the shared store on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);
  let file: ReturnType<typeof tempDatabase>;
  let store: SqlDatabase;
  beforeEach(async () => {
    file = tempDatabase('wa-import-');
    [store] = (await dbs.nodes(1)) as [SqlDatabase];
  });
  afterEach(() => file.cleanup());

  test('every kept record reads back as the embedded store answers it, under the session; the linked device comes along', async () => {
    await usedInstall(file.db);
    const report = await importEmbeddedSession({ embedded: file.db, store: store, session: 'default' });
    expect(report).toEqual({
      session: 'default',
      copied: {
        idempotency_keys: 2,
        webhook_deliveries: 2,
        received_messages: 2,
        messages: 3,
        outbox_jobs: 1,
        message_changes: 1,
        polls: 1,
        poll_votes: 1,
        sent_content: 1,
        retry_counters: 1,
        sessions: 1,
        account_restrictions: 1,
      },
      leftBehind: { send_log: 1 },
      credentials: { imported: true, keys: 2 },
    });

    const db = store.db;
    const embedded = file.db;
    const claim = { scope: 'client', key: 'k1', fingerprint: 'f1' };
    expect(await new KyselyIdempotencyRepository(db, 'default').begin(claim, 2000)).toEqual({ replay: response });
    expect(await new KyselyIdempotencyRepository(db, 'default').recoverInterrupted()).toEqual(
      await new SqliteIdempotencyRepository(embedded).recoverInterrupted(),
    );
    expect(await new KyselyWebhookDeliveryRepository(db, 'default').list()).toEqual(await new SqliteWebhookDeliveryRepository(embedded).list());
    expect(await new KyselyIncomingMessageRepository(db, 'default').list()).toEqual(await new SqliteIncomingMessageRepository(embedded).list());
    expect(await new KyselyMessageChangeRepository(db, 'default').forTarget('REC1')).toEqual(
      await new SqliteMessageChangeRepository(embedded).forTarget('REC1'),
    );
    expect(await new KyselyPollRepository(db, 'default').tally('REC2')).toEqual(new SqlitePollRepository(embedded).tally('REC2'));
    expect(await new KyselyPollRepository(db, 'default').get('REC2')).toEqual(new SqlitePollRepository(embedded).get('REC2'));
    expect(Buffer.from((await new KyselySentContentRepository(db, 'default', cipher).find('WA0'))!).toString()).toBe('protobuf');
    expect((await KyselyRetryCounterRepository.load(db, 'default', 60_000, () => 1000)).get('WA0:jid')).toBe(2);
    const limits = { maxBytes: 1_000_000, maxJobs: 100 };
    expect(await new KyselyOutboxRepository(db, 'default', limits).get('REC9')).toEqual(await new SqliteOutboxRepository(embedded, limits).get('REC9'));
    expect((await new KyselyOutboxRepository(db, 'default', limits).get('REC9'))?.status).toBe('queued');
    expect(await new KyselySessionRegistry(db, cipher).list()).toEqual(new SqliteSessionRegistry(embedded, cipher).list());
    expect((await KyselyRestrictionStore.load(db, 'default')).read()).toEqual(new SqliteRestrictionStore(embedded).read());
    const records = await db
      .selectFrom('messages')
      .select(['id', 'wa_message_id', 'status', 'created_at'])
      .where('session', '=', 'default')
      .orderBy('seq')
      .execute();
    expect(records).toEqual(embedded.prepare('SELECT id, wa_message_id, status, created_at FROM messages ORDER BY seq').all());
    // Nothing lands in another session.
    expect(await new KyselyWebhookDeliveryRepository(db, 'sales').list()).toMatchObject({ items: [], total: 0 });

    const before = await useSqliteAuthState(embedded);
    const after = await useFencedAuthState(new FencedKeyStore(store, 'reader'), 'default', 0);
    expect(after.state.creds).toEqual(before.state.creds);
    expect(await after.state.keys.get('pre-key', ['1', '2', '3'])).toEqual(await before.state.keys.get('pre-key', ['1', '2', '3']));
    // The import let go of the session: a node takes it at once.
    expect(await new LeaseRepository(store, 'node-a').acquire('default', 30_000)).toMatchObject({ token: 2 });
  });

  test('a second run changes nothing', async () => {
    await usedInstall(file.db);
    await importEmbeddedSession({ embedded: file.db, store, session: 'default' });
    const first = await snapshot(store);
    const again = await importEmbeddedSession({ embedded: file.db, store, session: 'default' });
    expect(Object.values(again.copied).every((n) => n === 0)).toBe(true);
    expect(again.credentials).toEqual({ imported: false, reason: 'already-in-store' });
    expect(await snapshot(store)).toEqual(first);
  });

  test('a row the shared store refuses rolls the whole import back, and the session is let go', async () => {
    await usedInstall(file.db);
    // A change whose message record is gone: the file's foreign key was off when it was written;
    // the shared store's is not. It is copied after the records, deliveries and keys.
    file.db.pragma('foreign_keys = OFF');
    file.db.prepare("INSERT INTO message_changes (action_id, target_id, kind, text, created_at) VALUES ('ACT', 'GONE', 'delete', NULL, 3000)").run();
    // By code: better-sqlite3's errors come from the realm that first loaded it, which under Jest
    // may be another test file's, so they are not `instanceof Error` here.
    const foreignKeyViolation = dialect === 'sqlite' ? 'SQLITE_CONSTRAINT_FOREIGNKEY' : '23503';
    await expect(importEmbeddedSession({ embedded: file.db, store, session: 'default' })).rejects.toMatchObject({ code: foreignKeyViolation });
    const after = await snapshot(store);
    expect(Object.entries(after).filter(([, rows]) => rows.length > 0)).toEqual([]);
    // Mended and run again: everything comes, credentials too (a failed import is not a node).
    file.db.prepare("DELETE FROM message_changes WHERE action_id = 'ACT'").run();
    const retried = await importEmbeddedSession({ embedded: file.db, store, session: 'default' });
    expect(retried.copied).toMatchObject({ messages: 3, message_changes: 1 });
    expect(retried.credentials).toEqual({ imported: true, keys: 2 });
    expect(await new LeaseRepository(store, 'node-a').acquire('default', 30_000)).toMatchObject({ token: 3 });
  });

  test('the same file under another name is another session; credentials never go into a session that was driven', async () => {
    await usedInstall(file.db);
    await importEmbeddedSession({ embedded: file.db, store, session: 'default' });
    // A node drove `sales` and logged out: no credentials there, but the file's are revoked.
    const lease = (await new LeaseRepository(store, 'node-a').acquire('sales', 30_000))!;
    await new LeaseRepository(store, 'node-a').release('sales', lease.token);
    const report = await importEmbeddedSession({ embedded: file.db, store, session: 'sales' });
    expect(report.copied).toMatchObject({ messages: 3, webhook_deliveries: 2, sessions: 0 });
    expect(report.credentials).toEqual({ imported: false, reason: 'store-session-used' });
    // Still refused on a later run: the refused import does not make the session look fresh.
    expect((await importEmbeddedSession({ embedded: file.db, store, session: 'sales' })).credentials).toEqual({
      imported: false,
      reason: 'store-session-used',
    });
    expect((await new KyselyWebhookDeliveryRepository(store.db, 'sales').list()).items).toHaveLength(2);
    expect((await new KyselyWebhookDeliveryRepository(store.db, 'default').list()).items).toHaveLength(2);
  });

  test('a session a node drives is refused before anything is copied; an empty install copies nothing', async () => {
    await usedInstall(file.db);
    await new LeaseRepository(store, 'node-a').acquire('default', 30_000);
    await expect(importEmbeddedSession({ embedded: file.db, store, session: 'default' })).rejects.toThrow(SessionDrivenError);
    expect((await snapshot(store)).messages).toEqual([]);

    const empty = tempDatabase('wa-import-empty-');
    try {
      const report = await importEmbeddedSession({ embedded: empty.db, store, session: 'fresh' });
      expect(Object.values(report.copied).every((n) => n === 0)).toBe(true);
      expect(report.credentials).toEqual({ imported: false, reason: 'none-in-file' });
    } finally {
      empty.cleanup();
    }
  });
});
