/**
 * A request cut off by its node's death must not leave its Idempotency-Key answering 409 "in
 * progress" for 24 h: the client retries on another node at once, and that node may never come
 * back. Keys record the node that claimed them; keys of nodes that are no longer live members are
 * resolved as a restart resolves its own (bound → resumable, unbound → released), those of live
 * nodes are left alone, both by the balancing round's sweep and by a session's drive(). Both stores.
 */
import { resolveAbandonedRequests } from '../../src/cluster/abandoned-requests.js';
import { NodeRegistry } from '../../src/cluster/node-registry.js';
import type { SqlDatabase } from '../../src/cluster/sql/database.js';
import { KyselyIdempotencyRepository } from '../../src/http/kysely-idempotency-repository.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

const TTL_MS = 60_000;
const claim = (key: string) => ({ scope: 'client', key, fingerprint: `fp-${key}` });

describe.each(DIALECTS)('abandoned requests (%s)', (dialect) => {
  const databases = useTestDatabases(dialect);
  let store: SqlDatabase;
  let onLive: KyselyIdempotencyRepository;
  let onGone: KyselyIdempotencyRepository;
  let onLiveOther: KyselyIdempotencyRepository;

  beforeEach(async () => {
    store = await databases.open(await databases.freshTarget());
    await new NodeRegistry(store, 'live').heartbeat(TTL_MS);
    // 'gone' was a member once; its row expired (a SIGKILL stops its heartbeat).
    await new NodeRegistry(store, 'gone').heartbeat(-1);
    onLive = new KyselyIdempotencyRepository(store.db, 'sales', undefined, 'live');
    onGone = new KyselyIdempotencyRepository(store.db, 'sales', undefined, 'gone');
    onLiveOther = new KyselyIdempotencyRepository(store.db, 'support', undefined, 'live');
  });

  test("a dead node's keys: bound → resumable by the retry, unbound → released; a live node's keys stay in progress", async () => {
    expect(await onGone.begin(claim('bound'))).toBe('new');
    await onGone.bindMessage('client', 'bound', 'record-1');
    expect(await onGone.begin(claim('unbound'))).toBe('new');
    expect(await onLive.begin(claim('running'))).toBe('new');
    await onLive.bindMessage('client', 'running', 'record-2');
    expect(await onLiveOther.begin(claim('running-elsewhere'))).toBe('new');

    // Before the sweep the retry of the dead node's request is "in progress", as the client saw it.
    expect(await onLive.begin(claim('bound'))).toBe('in-progress');
    expect(await resolveAbandonedRequests(store.db)).toEqual({ resumable: 1, released: 1 });
    // Run again (every node, every round): nothing more to do.
    expect(await resolveAbandonedRequests(store.db)).toEqual({ resumable: 0, released: 0 });

    expect(await onLive.begin(claim('bound'))).toEqual({ resume: 'record-1' });
    expect(await onLive.begin(claim('unbound'))).toBe('new');
    expect(await onGone.begin(claim('running'))).toBe('in-progress');
    // Unbound, in another session, on a live node: not released either.
    expect(await new KyselyIdempotencyRepository(store.db, 'support', undefined, 'gone').begin(claim('running-elsewhere'))).toBe('in-progress');
  });

  test("a resumed key is the retrying node's: the sweep does not offer it to a second retry", async () => {
    await onGone.begin(claim('bound'));
    await onGone.bindMessage('client', 'bound', 'record-1');
    await resolveAbandonedRequests(store.db);
    expect(await onLive.begin(claim('bound'))).toEqual({ resume: 'record-1' });
    await resolveAbandonedRequests(store.db);
    expect(await onLive.begin(claim('bound'))).toBe('in-progress');
  });

  test("drive()'s recovery on a session's new owner leaves live nodes' requests alone", async () => {
    await onGone.begin(claim('dead'));
    await onGone.bindMessage('client', 'dead', 'record-1');
    await onLive.begin(claim('alive'));
    await onLive.bindMessage('client', 'alive', 'record-2');
    // Claimed without a node (before migration 0022, or imported): resolved as before.
    const unrecorded = new KyselyIdempotencyRepository(store.db, 'sales');
    await unrecorded.begin(claim('old'));
    expect(await onLive.recoverInterrupted()).toEqual({ resumable: 1, released: 1 });
    expect(await onLive.begin(claim('dead'))).toEqual({ resume: 'record-1' });
    expect(await onGone.begin(claim('alive'))).toBe('in-progress');
  });
});
