/** The group metadata cache: TTL, one query per group however many wait, invalidation, merges. */
import { describe, expect, test } from '@jest/globals';
import type { GroupMetadata } from '@whiskeysockets/baileys';
import { GroupMetadataCache } from '../../src/whatsapp/baileys/group-metadata-cache.js';

const G = '120363000000000001@g.us';
const meta = (subject: string, members = ['123@lid']): GroupMetadata => ({
  id: G,
  subject,
  owner: undefined,
  participants: members.map((id) => ({ id, phoneNumber: id.endsWith('@lid') ? `62812${id.replace('@lid', '')}@s.whatsapp.net` : undefined, admin: null })),
});

function setup(ttlMs = 1000) {
  let now = 0;
  const queries: string[] = [];
  let next: GroupMetadata | Error = meta('first');
  const cache = new GroupMetadataCache({
    ttlMs,
    now: () => now,
    query: async (jid) => {
      queries.push(jid);
      const answer = next;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  return { cache, queries, tick: (ms: number) => (now += ms), answer: (m: GroupMetadata | Error) => (next = m) };
}

describe('GroupMetadataCache', () => {
  test('concurrent lookups share one query; later ones are answered from the cache until the TTL', async () => {
    const { cache, queries, tick, answer } = setup(1000);
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.cachedGroupMetadata(G)));
    expect(queries).toHaveLength(1);
    expect(new Set(all.map((m) => m?.subject))).toEqual(new Set(['first']));
    tick(999);
    await cache.lookup(G);
    expect(queries).toHaveLength(1);
    answer(meta('second'));
    tick(1);
    expect((await cache.lookup(G)).subject).toBe('second');
    expect(queries).toHaveLength(2);
  });

  test('a failed query is not kept: the next lookup asks again', async () => {
    const { cache, queries, answer } = setup();
    answer(new Error('forbidden'));
    await expect(cache.lookup(G)).rejects.toThrow('forbidden');
    answer(meta('ok'));
    expect((await cache.lookup(G)).subject).toBe('ok');
    expect(queries).toHaveLength(2);
  });

  test('invalidation drops the entry, and an answer that was in flight meanwhile is not stored', async () => {
    const { cache, queries } = setup();
    await cache.lookup(G);
    cache.invalidate(G);
    const inFlight = cache.lookup(G);
    cache.invalidate(G); // a member change arrives while the query is out
    await inFlight;
    await cache.lookup(G);
    expect(queries).toHaveLength(3);
  });

  test('settings and subject changes are merged in place; members and expiry stay', async () => {
    const { cache, queries } = setup();
    await cache.lookup(G);
    cache.merge({ id: G, subject: 'renamed', announce: true, desc: undefined });
    const merged = await cache.lookup(G);
    expect(merged).toMatchObject({ subject: 'renamed', announce: true, participants: [{ id: '123@lid' }] });
    expect('desc' in merged).toBe(true);
    expect(queries).toHaveLength(1);
    cache.merge({ id: '120363000000000002@g.us', subject: 'not cached' });
    expect(cache.size).toBe(1);
  });

  test('stored metadata (a create notification) answers without a query; TTL 0 keeps nothing', async () => {
    const kept = setup();
    kept.cache.store(meta('stored'));
    expect((await kept.cache.lookup(G)).subject).toBe('stored');
    expect(kept.queries).toHaveLength(0);

    const none = setup(0);
    none.cache.store(meta('stored'));
    await none.cache.lookup(G);
    await none.cache.lookup(G);
    expect(none.queries).toHaveLength(2);
  });

  test('clear forgets every group; LID → phone pairs it learnt stay', async () => {
    const { cache, queries } = setup();
    await cache.lookup(G);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.phoneOf('123@lid')).toBe('62812123@s.whatsapp.net');
    cache.learnPhones([{ id: '6281234567890@s.whatsapp.net', lid: '555@lid' }]);
    expect(cache.phoneOf('555@lid')).toBe('6281234567890@s.whatsapp.net');
    await cache.lookup(G);
    expect(queries).toHaveLength(2);
  });
});
