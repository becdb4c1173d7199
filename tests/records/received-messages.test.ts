/**
 * Received messages on every store (the embedded SQLite file the gateway uses today, and the
 * shared store through Kysely on SQLite and on PostgreSQL): stored for every kind, listed newest
 * first with filters, edited and revoked by their sender only, purged by age, kept apart per
 * session. On the embedded store, media rows from before migration 4 are kept.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { SqliteIncomingMessageRepository, type IncomingMessageRepository } from '../../src/records/incoming-message-repository.js';
import { KyselyIncomingMessageRepository } from '../../src/records/kysely-incoming-message-repository.js';
import { recordIncoming, recordIncomingChange } from '../../src/records/incoming-wiring.js';
import { InvalidCursorError } from '../../src/store/cursor.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { WebhookEvent } from '../../src/webhooks/events.js';
import type { IncomingChange, IncomingMessage } from '../../src/whatsapp/transport.js';
import { STORES, useRepository } from '../support/store-implementations.js';
import { tempDatabase } from '../store/temp-db.js';

const PHONE_JID = '6281234567890@s.whatsapp.net';
const GROUP = '120363012345678901@g.us';

const message = (over: Partial<IncomingMessage> = {}): IncomingMessage => ({
  messageId: 'M1',
  from: PHONE_JID,
  fromPhoneJid: PHONE_JID,
  fromLid: '123456789012345@lid',
  chat: PHONE_JID,
  timestamp: 1_700_000_000,
  type: 'conversation',
  kind: 'text',
  text: 'halo',
  raw: '{"key":{"id":"M1"}}',
  ...over,
});

const change = (over: Partial<IncomingChange>): IncomingChange => ({
  change: 'edit',
  messageId: 'M1',
  changeId: 'P1',
  chat: PHONE_JID,
  from: PHONE_JID,
  fromPhoneJid: PHONE_JID,
  timestamp: 1_700_000_100,
  ...over,
});

describe.each(STORES)('received messages on %s', (store) => {
  const fixture = useRepository<IncomingMessageRepository>(store, {
    embedded: (db) => new SqliteIncomingMessageRepository(db),
    shared: (db, session) => new KyselyIncomingMessageRepository(db, session),
  });
  let repo: IncomingMessageRepository;
  let published: WebhookEvent[];
  const deps = () => ({ incoming: repo, publish: (e: WebhookEvent) => void published.push(e), downloadUrl: (id: string) => `/api/media/${id}` });

  beforeEach(() => {
    repo = fixture().repo;
    published = [];
  });

  test('every kind is stored with its summary and the published data; listed newest first with filters', async () => {
    await recordIncoming(message(), deps());
    await recordIncoming(
      message({ messageId: 'M2', kind: 'location', type: 'locationMessage', text: undefined, location: { latitude: 1, longitude: 2, name: 'Monas' } }),
      deps(),
    );
    await recordIncoming(
      message({
        messageId: 'M3',
        chat: GROUP,
        participant: PHONE_JID,
        kind: 'poll',
        type: 'pollCreationMessageV3',
        text: undefined,
        poll: { question: 'Kapan?', options: ['a', 'b'], multipleAnswers: false },
      }),
      deps(),
    );
    const page = await repo.list();
    expect(page.items.map((m) => [m.messageId, m.type, m.summary, m.chat])).toEqual([
      ['M3', 'poll', 'Kapan?', GROUP],
      ['M2', 'location', 'Monas', '6281234567890'],
      ['M1', 'text', 'halo', '6281234567890'],
    ]);
    expect(page.items[0]!.data).toMatchObject({
      type: 'poll',
      chat: GROUP,
      participant: '6281234567890',
      poll: { question: 'Kapan?', multiple_answers: false },
    });
    expect((await repo.list({ type: 'location' })).items.map((m) => m.messageId)).toEqual(['M2']);
    // phone: the sender, or the chat with that number.
    expect((await repo.list({ phone: '6281234567890' })).total).toBe(3);
    const first = await repo.list({ limit: 2 });
    expect((await repo.list({ limit: 2, cursor: first.nextCursor! })).items.map((m) => m.messageId)).toEqual(['M1']);
    expect(published.map((e) => e.event)).toEqual(['message.incoming', 'message.incoming', 'message.incoming']);
    // Delivered again by WhatsApp: stored and published once.
    await recordIncoming(message(), deps());
    expect(published).toHaveLength(3);
    expect(await repo.findReceived('M1')).toMatchObject({ messageId: 'M1', raw: '{"key":{"id":"M1"}}', fromJid: PHONE_JID });
  });

  test('a reaction is message.incoming and message.reaction', async () => {
    await recordIncoming(
      message({ messageId: 'R1', kind: 'reaction', type: 'reactionMessage', text: undefined, reaction: { targetId: 'OURS', emoji: '❤️', targetFromMe: true } }),
      deps(),
    );
    expect(published.map((e) => e.event)).toEqual(['message.incoming', 'message.reaction']);
    expect(published[1]!.data).toMatchObject({
      message_id: 'OURS',
      reaction_id: 'R1',
      emoji: '❤️',
      removed: false,
      own_message: true,
      from_phone: '6281234567890',
    });
  });

  test("the sender's edit and revoke update the stored message; someone else's are ignored", async () => {
    await recordIncoming(message(), deps());
    await recordIncomingChange(change({ from: '6289999999999@s.whatsapp.net', fromPhoneJid: undefined, text: 'forged' }), deps());
    expect((await repo.findReceived('M1'))!.editedText).toBeNull();
    await recordIncomingChange(change({ text: 'halo semua' }), deps());
    await recordIncomingChange(change({ change: 'revoke', timestamp: 1_700_000_200 }), deps());
    expect(await repo.findReceived('M1')).toMatchObject({ editedText: 'halo semua', editedAt: 1_700_000_100_000, revokedAt: 1_700_000_200_000 });
    expect(published.slice(1).map((e) => [e.event, e.data])).toEqual([
      ['message.edited', expect.objectContaining({ message_id: 'M1', text: 'halo semua', changed_at: '2023-11-14T22:15:00.000Z' })],
      ['message.revoked', expect.objectContaining({ message_id: 'M1', text: null })],
    ]);
    // A change to a message the gateway no longer has is still reported.
    await recordIncomingChange(change({ messageId: 'GONE', change: 'revoke' }), deps());
    expect(published.at(-1)).toMatchObject({ event: 'message.revoked', data: { message_id: 'GONE' } });
  });

  test("a revoke drops a media message's handle to its file (the media key and URL in raw); a text keeps its raw", async () => {
    const imageRaw = '{"key":{"id":"IMG"},"message":{"imageMessage":{"mediaKey":"a2V5","directPath":"/v/t62/x"}}}';
    await recordIncoming(
      message({ messageId: 'IMG', type: 'imageMessage', kind: 'image', text: undefined, raw: imageRaw, media: { kind: 'image', mimetype: 'image/jpeg' } }),
      deps(),
    );
    await recordIncoming(message(), deps());
    expect((await repo.findReceived('IMG'))!.raw).toBe(imageRaw);

    await recordIncomingChange(change({ messageId: 'IMG', change: 'revoke', timestamp: 1_700_000_200 }), deps());
    await recordIncomingChange(change({ change: 'revoke', timestamp: 1_700_000_200 }), deps());
    expect(await repo.findReceived('IMG')).toMatchObject({ type: 'image', revokedAt: 1_700_000_200_000, raw: '' });
    expect(await repo.findReceived('M1')).toMatchObject({ revokedAt: 1_700_000_200_000, raw: '{"key":{"id":"M1"}}' });
    // Nothing of the handle is left anywhere in the row (findReceived reads every column but seq and session).
    expect(JSON.stringify(await repo.findReceived('IMG'))).not.toContain('mediaKey');
  });

  test('purged by age', async () => {
    await repo.save({ messageId: 'OLD', fromJid: PHONE_JID, type: 'text', raw: '{}', receivedAt: 1000 });
    await repo.save({ messageId: 'NEW', fromJid: PHONE_JID, type: 'text', raw: '{}', receivedAt: 5000 });
    expect(await repo.purgeBefore(2000)).toBe(1);
    expect(await repo.findReceived('OLD')).toBeNull();
    expect(await repo.findReceived('NEW')).not.toBeNull();
  });

  test("sessions do not see each other's messages; one message id may exist in each", async () => {
    const sales = await fixture().otherSession('sales');
    expect(await repo.save({ messageId: 'M1', fromJid: PHONE_JID, type: 'text', raw: '{"mine":1}', receivedAt: 1000 })).toBe(true);
    expect(await sales.findReceived('M1')).toBeNull();
    expect(await sales.save({ messageId: 'M1', fromJid: PHONE_JID, type: 'text', raw: '{"theirs":1}', receivedAt: 1000 })).toBe(true);
    expect(await sales.save({ messageId: 'M2', fromJid: PHONE_JID, type: 'text', raw: '{}', receivedAt: 3000 })).toBe(true);
    expect(await sales.markEdited('M1', 'edited there', 2000)).toMatchObject({ raw: '{"theirs":1}', editedText: 'edited there' });
    expect(await sales.markRevoked('M1', 2000)).toMatchObject({ revokedAt: 2000 });
    expect(await repo.findReceived('M1')).toMatchObject({ raw: '{"mine":1}', editedText: null, revokedAt: null });
    expect(await repo.markEdited('M2', 'x', 2000)).toBeNull();
    expect(await repo.markRevoked('M2', 2000)).toBeNull();
    expect(await repo.list()).toMatchObject({ total: 1, items: [{ messageId: 'M1' }] });
    expect((await sales.list({ phone: '6281234567890' })).total).toBe(0);
    expect((await sales.list({ type: 'text' })).items.map((m) => m.messageId)).toEqual(['M2', 'M1']);
    expect(await repo.purgeBefore(5000)).toBe(1);
    expect((await sales.list()).total).toBe(2);
  });

  test('list filters by time range and pages with stable cursors; edits keep the first revoke time', async () => {
    for (const [id, at] of [
      ['A', 1000],
      ['B', 2000],
      ['C', 3000],
      ['D', 4000],
    ] as const) {
      await repo.save({ messageId: id, fromJid: PHONE_JID, chat: GROUP, fromPhone: '6281234567890', type: 'text', raw: '{}', receivedAt: at, summary: id });
    }
    const range = { from: new Date(2000), to: new Date(4000) };
    expect(await repo.list(range)).toMatchObject({ total: 2, items: [{ messageId: 'C' }, { messageId: 'B' }], nextCursor: null });
    expect((await repo.list({ phone: GROUP })).total).toBe(4);
    const first = await repo.list({ limit: 1 });
    expect(first.items.map((m) => m.messageId)).toEqual(['D']);
    // A message arriving between pages does not shift the next page.
    await repo.save({ messageId: 'E', fromJid: PHONE_JID, type: 'text', raw: '{}', receivedAt: 5000 });
    expect(await repo.list({ limit: 2, cursor: first.nextCursor! })).toMatchObject({ total: 5, items: [{ messageId: 'C' }, { messageId: 'B' }] });
    expect(await repo.markRevoked('A', 6000)).toMatchObject({ revokedAt: 6000 });
    expect(await repo.markRevoked('A', 7000)).toMatchObject({ revokedAt: 6000 });
    expect(await repo.markEdited('A', null, 8000)).toMatchObject({ editedText: null, editedAt: 8000, revokedAt: 6000 });
    expect(await repo.get('A')).toEqual({
      messageId: 'A',
      fromJid: PHONE_JID,
      type: 'text',
      raw: '{}',
      receivedAt: 1000,
      chat: GROUP,
      fromPhone: '6281234567890',
      summary: 'A',
      sentAt: 1000,
      data: undefined,
      editedText: null,
      editedAt: 8000,
      revokedAt: 6000,
    });
    await expect(repo.list({ cursor: 'bm9wZQ' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('received messages on the embedded store, across its migrations', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let repo: SqliteIncomingMessageRepository;
  beforeEach(() => {
    tmp = tempDatabase('wa-received-');
  });
  afterEach(() => tmp.cleanup());

  test('media rows stored before every message was kept survive the migration, still downloadable', () => {
    const file = join(tmp.dir, 'v3.db');
    const v3 = openDatabase(file, undefined, { migrations: MIGRATIONS.slice(0, 3) });
    v3.prepare('INSERT INTO incoming_messages (message_id, from_jid, type, raw, received_at) VALUES (?, ?, ?, ?, ?)').run(
      'IMG',
      PHONE_JID,
      'imageMessage',
      '{"raw":1}',
      1234,
    );
    v3.close();
    tmp.db.close();
    tmp.db = openDatabase(file);
    repo = new SqliteIncomingMessageRepository(tmp.db);
    return expect(repo.get('IMG')).resolves.toMatchObject({
      messageId: 'IMG',
      type: 'image',
      raw: '{"raw":1}',
      receivedAt: 1234,
      chat: '6281234567890',
      fromPhone: '6281234567890',
    });
  });
});
