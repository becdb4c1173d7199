/**
 * Message records on every store (the embedded SQLite file the gateway uses today, and the shared
 * store through Kysely on SQLite and on PostgreSQL): the same answers, state machine, cursors and
 * purge rule, and sessions kept apart in one shared database.
 */
import { MESSAGE_STATUSES, type MessageStatus } from '../../src/domain/vocabulary.js';
import { beforeEach, describe, expect, test } from '@jest/globals';
import { KyselyMessageRepository } from '../../src/records/kysely-message-repository.js';
import { InvalidCursorError, canTransition, summarize, toMessageStatus, type MessageRepository } from '../../src/records/message-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { STORES, useRepository } from '../support/store-implementations.js';

const phone = '6281234567890';
const jid = `${phone}@s.whatsapp.net`;
const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

describe('message record rules', () => {
  test('the transition table', () => {
    const allowed = MESSAGE_STATUSES.flatMap((from) => MESSAGE_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(
      ['queued->sent', 'queued->delivered', 'queued->read', 'queued->failed', 'sent->delivered', 'sent->read', 'sent->failed', 'delivered->read'].sort(),
    );
    expect(toMessageStatus('played')).toBe('read');
  });

  test('summary is shortened on code points', () => {
    expect(summarize('😀'.repeat(300), 10)).toBe(`${'😀'.repeat(9)}…`);
    expect(summarize('')).toBeNull();
    expect(summarize('short')).toBe('short');
  });
});

describe.each(STORES)('message records on %s', (store) => {
  const fixture = useRepository<MessageRepository>(store, {
    embedded: (db) => new SqliteMessageRepository(db),
    shared: (db, session) => new KyselyMessageRepository(db, session),
  });
  let repo: MessageRepository;
  beforeEach(() => {
    repo = fixture().repo;
  });

  test('create and get: a queued text record with its summary and timestamps', async () => {
    const created = await repo.create({ phone, jid, type: 'text', text: 'hello', status: 'queued', at: t(0) });
    expect(created).toMatchObject({
      phone,
      jid,
      type: 'text',
      summary: 'hello',
      status: 'queued',
      waMessageId: null,
      queuedAt: t(0).toISOString(),
      sentAt: null,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await repo.get(created.id)).toEqual(created);
    expect(await repo.get('nope')).toBeNull();

    await repo.setWaMessageId(created.id, '3EB0AAA');
    expect((await repo.getByWaId('3EB0AAA'))?.id).toBe(created.id);
  });

  test('purgeBefore deletes old records but never queued ones', async () => {
    await repo.create({ phone, jid, type: 'text', text: 'old sent', status: 'sent', at: t(0) });
    await repo.create({ phone, jid, type: 'text', text: 'old queued', status: 'queued', at: t(1) });
    await repo.create({ phone, jid, type: 'text', text: 'new', status: 'sent', at: t(30) });
    expect(await repo.purgeBefore(t(10))).toBe(1);
    expect((await repo.list()).items.map((m) => m.summary)).toEqual(['new', 'old queued']);
  });

  test('status follows acks forward and never backwards; each change keeps its own timestamp', async () => {
    await repo.create({ phone, jid, type: 'image', text: 'caption', fileName: 'a.jpg', status: 'sent', waMessageId: 'W1', at: t(0) });
    expect((await repo.markStatus('W1', 'delivered', t(1)))?.changed).toBe(true);
    expect((await repo.markStatus('W1', 'read', t(2)))?.record).toMatchObject({ status: 'read', readAt: t(2).toISOString(), deliveredAt: t(1).toISOString() });

    const late = await repo.markStatus('W1', 'delivered', t(3));
    expect(late).toMatchObject({ changed: false, record: { status: 'read', deliveredAt: t(1).toISOString() } });
    expect((await repo.markStatus('W1', 'failed', t(4), 'boom'))?.record).toMatchObject({ status: 'read', error: null, failedAt: null });
    expect((await repo.markStatus('W1', 'read', t(5)))?.changed).toBe(false);
    expect(await repo.markStatus('unknown', 'read', t(5))).toBeNull();
  });

  test('a read that overtakes delivered is kept, and the late delivered still records when it happened', async () => {
    await repo.create({ phone, jid, type: 'text', text: 'x', status: 'sent', waMessageId: 'W2', at: t(0) });
    await repo.markStatus('W2', 'read', t(2));
    const late = await repo.markStatus('W2', 'delivered', t(1));
    expect(late).toMatchObject({ changed: false, record: { status: 'read', deliveredAt: t(1).toISOString(), readAt: t(2).toISOString() } });
  });

  test("the send path's own `sent`, by record id: progress when the ack was not recorded yet, else the moment kept or filled in", async () => {
    const first = await repo.create({ phone, jid, type: 'text', text: 'x', status: 'queued', waMessageId: 'W3', at: t(0) });
    expect(await repo.markStatusById(first.id, 'sent', t(1))).toMatchObject({ changed: true, record: { status: 'sent', sentAt: t(1).toISOString() } });
    // The ack listener recorded it first: nothing changes, the first moment stays.
    expect(await repo.markStatusById(first.id, 'sent', t(2))).toMatchObject({ changed: false, record: { status: 'sent', sentAt: t(1).toISOString() } });

    // A receipt overtook the ack: the record stays delivered and learns when it was sent.
    const second = await repo.create({ phone, jid, type: 'text', text: 'y', status: 'queued', waMessageId: 'W4', at: t(0) });
    await repo.markStatus('W4', 'delivered', t(2));
    expect(await repo.markStatusById(second.id, 'sent', t(1))).toMatchObject({
      changed: false,
      record: { status: 'delivered', sentAt: t(1).toISOString(), deliveredAt: t(2).toISOString() },
    });
    expect(await repo.markStatusById('no such record', 'sent', t(1))).toBeNull();
  });

  test("the send path's `sent` after the ack listener's and a fast receipt: the record as it is on disk, asked once or twice", async () => {
    const record = await repo.create({ phone, jid, type: 'text', text: 'z', status: 'queued', waMessageId: 'W5', at: t(0) });
    expect((await repo.markStatus('W5', 'sent', t(1)))?.changed).toBe(true);
    expect((await repo.markStatus('W5', 'delivered', t(2)))?.changed).toBe(true);
    const onDisk = await repo.get(record.id);
    expect(onDisk).toMatchObject({ status: 'delivered', sentAt: t(1).toISOString(), deliveredAt: t(2).toISOString() });
    expect(await repo.markStatusById(record.id, 'sent', t(3))).toEqual({ changed: false, record: onDisk });
    expect(await repo.markStatusById(record.id, 'sent', t(4))).toEqual({ changed: false, record: onDisk });
    expect(await repo.get(record.id)).toEqual(onDisk);
  });

  test('failed only from queued or sent, with its reason; nothing leaves failed', async () => {
    const queued = await repo.create({ phone, jid, type: 'text', text: 'x', status: 'queued', at: t(0) });
    expect((await repo.markStatusById(queued.id, 'failed', t(1), 'not on WhatsApp'))?.record).toMatchObject({
      status: 'failed',
      error: 'not on WhatsApp',
      failedAt: t(1).toISOString(),
    });
    expect((await repo.markStatusById(queued.id, 'sent', t(2)))?.changed).toBe(false);
  });

  test('list: newest first, filtered, with cursor pagination that is stable while new rows arrive', async () => {
    for (let i = 0; i < 7; i++) {
      await repo.create({ phone: i % 2 ? phone : '6289999999999', jid, type: i % 3 ? 'text' : 'image', text: `m${i}`, status: 'queued', at: t(i) });
    }
    const first = await repo.list({ limit: 3 });
    expect(first.items.map((m) => m.summary)).toEqual(['m6', 'm5', 'm4']);
    expect(first.total).toBe(7);
    await repo.create({ phone, jid, type: 'text', text: 'm7', status: 'queued', at: t(7) });
    const second = await repo.list({ limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((m) => m.summary)).toEqual(['m3', 'm2', 'm1']);
    const third = await repo.list({ limit: 3, cursor: second.nextCursor! });
    expect(third.items.map((m) => m.summary)).toEqual(['m0']);
    expect(third.nextCursor).toBeNull();

    expect((await repo.list({ phone })).items.map((m) => m.summary)).toEqual(['m7', 'm5', 'm3', 'm1']);
    expect((await repo.list({ type: 'image' })).items.map((m) => m.summary)).toEqual(['m6', 'm3', 'm0']);
    expect((await repo.list({ from: t(2), to: t(4) })).items.map((m) => m.summary)).toEqual(['m3', 'm2']);
    expect((await repo.list({ status: 'read' })).total).toBe(0);
    await expect(repo.list({ cursor: 'garbage!' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  test('analytics: counts by type, by status and by both over a time range', async () => {
    const add = async (type: 'text' | 'image', status: MessageStatus, s: number) => {
      const m = await repo.create({ phone, jid, type, text: 'x', status: 'sent', waMessageId: `W${s}`, at: t(s) });
      if (status !== 'sent') await repo.markStatusById(m.id, status, t(s));
    };
    await add('text', 'sent', 1);
    await add('text', 'read', 2);
    await add('image', 'delivered', 3);
    await add('image', 'failed', 4);
    await add('text', 'read', 10);

    const all = await repo.analytics();
    expect(all.total).toBe(5);
    expect(all.byType).toEqual({ text: 3, image: 2 });
    expect(all.byStatus).toEqual({ queued: 0, sent: 1, delivered: 1, read: 2, failed: 1 });

    const range = await repo.analytics({ from: t(2), to: t(10) });
    expect(range).toEqual({
      from: t(2).toISOString(),
      to: t(10).toISOString(),
      total: 3,
      byType: { text: 1, image: 2 },
      byStatus: { queued: 0, sent: 0, delivered: 1, read: 1, failed: 1 },
      byTypeAndStatus: {
        text: { queued: 0, sent: 0, delivered: 0, read: 1, failed: 0 },
        image: { queued: 0, sent: 0, delivered: 1, read: 0, failed: 1 },
      },
    });
  });

  test('edits and deletes are listed only when asked for by type', async () => {
    await repo.create({ phone, jid, type: 'text', text: 'original', status: 'sent', at: t(0) });
    await repo.create({ phone, jid, type: 'edit', text: 'changed', status: 'sent', at: t(1) });
    await repo.create({ phone, jid, type: 'delete', status: 'sent', at: t(2) });
    expect(await repo.list()).toMatchObject({ total: 1, items: [{ summary: 'original' }] });
    expect((await repo.list({ type: 'edit' })).items.map((m) => m.summary)).toEqual(['changed']);
    expect((await repo.analytics()).byType).toEqual({ text: 1, edit: 1, delete: 1 });
  });

  test('records survive a restart, and the next page continues where the cursor left off', async () => {
    for (let i = 0; i < 3; i++) await repo.create({ id: `r${i}`, phone, jid, type: 'text', text: `m${i}`, status: 'sent', waMessageId: `W${i}`, at: t(i) });
    const first = await repo.list({ limit: 2 });
    const after = await fixture().reopen();
    expect(await after.getByWaId('W1')).toMatchObject({ id: 'r1', status: 'sent', sentAt: t(1).toISOString() });
    expect((await after.list({ limit: 2, cursor: first.nextCursor! })).items.map((m) => m.id)).toEqual(['r0']);
  });

  test('a receipt and a read racing over two connections end at read, with both moments', async () => {
    await repo.create({ phone, jid, type: 'text', text: 'x', status: 'sent', waMessageId: 'WR', at: t(0) });
    const other = await fixture().connect();
    const [delivered, read] = await Promise.all([repo.markStatus('WR', 'delivered', t(1)), other.markStatus('WR', 'read', t(2))]);
    expect(read).toMatchObject({ changed: true });
    expect(delivered?.record.status).toMatch(/^(delivered|read)$/);
    expect(await repo.getByWaId('WR')).toMatchObject({ status: 'read', deliveredAt: t(1).toISOString(), readAt: t(2).toISOString() });
  });

  test("two sessions in one database do not see each other's records, even under the same ids", async () => {
    const sales = await fixture().otherSession('sales');
    await repo.create({ id: 'same', phone, jid, type: 'text', text: 'mine', status: 'sent', waMessageId: 'WSAME', at: t(0) });
    await sales.create({ id: 'same', phone, jid, type: 'image', text: 'theirs', status: 'queued', waMessageId: 'WSAME', at: t(0) });
    await sales.create({ phone, jid, type: 'text', text: 'theirs too', status: 'sent', at: t(1) });

    expect(await repo.get('same')).toMatchObject({ summary: 'mine' });
    expect(await sales.getByWaId('WSAME')).toMatchObject({ summary: 'theirs' });
    expect(await repo.markStatus('WSAME', 'read', t(2))).toMatchObject({ changed: true, record: { summary: 'mine' } });
    expect(await sales.getByWaId('WSAME')).toMatchObject({ status: 'queued', readAt: null });
    expect(await repo.list()).toMatchObject({ total: 1, items: [{ summary: 'mine' }] });
    expect((await sales.analytics()).byType).toEqual({ image: 1, text: 1 });
    expect(await repo.purgeBefore(t(10))).toBe(1);
    expect((await sales.list()).total).toBe(2);
  });
});
