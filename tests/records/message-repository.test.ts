import { MESSAGE_STATUSES, type MessageStatus } from '../../src/domain/vocabulary.js';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { InvalidCursorError, canTransition, summarize, toMessageStatus } from '../../src/records/message-repository.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { tempDatabase } from '../store/temp-db.js';

const phone = '6281234567890';
const jid = `${phone}@s.whatsapp.net`;
const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

describe('SqliteMessageRepository', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let repo: SqliteMessageRepository;
  beforeEach(() => {
    tmp = tempDatabase('wa-msg-');
    repo = new SqliteMessageRepository(tmp.db);
  });
  afterEach(() => tmp.cleanup());

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

  test('failed only from queued or sent, with its reason; nothing leaves failed', async () => {
    const queued = await repo.create({ phone, jid, type: 'text', text: 'x', status: 'queued', at: t(0) });
    expect((await repo.markStatusById(queued.id, 'failed', t(1), 'not on WhatsApp'))?.record).toMatchObject({
      status: 'failed',
      error: 'not on WhatsApp',
      failedAt: t(1).toISOString(),
    });
    expect((await repo.markStatusById(queued.id, 'sent', t(2)))?.changed).toBe(false);
  });

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
});
