/**
 * Idempotency keys on every store: the embedded SQLite file the gateway uses today and the shared
 * store through Kysely on SQLite and on PostgreSQL (same cases, same answers).
 */
import { describe, expect, test } from '@jest/globals';
import { KyselyIdempotencyRepository } from '../../src/http/kysely-idempotency-repository.js';
import { IDEMPOTENCY_TTL_MS, SqliteIdempotencyRepository, requestFingerprint, type IdempotencyRepository } from '../../src/http/idempotency-repository.js';
import { STORES, useRepository } from '../support/store-implementations.js';

const fp = (message: string) => requestFingerprint({ method: 'POST', path: '/api/send-message', fields: { phone: '6281234567890', message } });
const response = { statusCode: 200, body: { status: 'success', message: 'Text message sent successfully', data: { message_id: 'W1' } } };

describe.each(STORES)('idempotency keys on %s', (store) => {
  const fixture = useRepository<IdempotencyRepository>(store, {
    embedded: (db) => new SqliteIdempotencyRepository(db),
    shared: (db, session) => new KyselyIdempotencyRepository(db, session),
  });
  let repo: IdempotencyRepository;
  beforeEach(() => {
    repo = fixture().repo;
  });

  test('new, then in-progress while running, then the first response is replayed', async () => {
    const claim = { scope: 'client-a', key: 'k1', fingerprint: fp('hi') };
    expect(await repo.begin(claim, 0)).toBe('new');
    expect(await repo.begin(claim, 1)).toBe('in-progress');
    await repo.complete('client-a', 'k1', response);
    expect(await repo.begin(claim, 2)).toEqual({ replay: response });
    // Survives a restart.
    expect(await (await fixture().reopen()).begin(claim, 3)).toEqual({ replay: response });
  });

  test('same key with a different request is a conflict; keys are per scope', async () => {
    expect(await repo.begin({ scope: 'client-a', key: 'k1', fingerprint: fp('hi') }, 0)).toBe('new');
    await repo.complete('client-a', 'k1', response);
    expect(await repo.begin({ scope: 'client-a', key: 'k1', fingerprint: fp('bye') }, 1)).toBe('conflict');
    expect(await repo.begin({ scope: 'client-b', key: 'k1', fingerprint: fp('bye') }, 1)).toBe('new');
  });

  test('expires after 24 h: the key can be used afresh, and purge removes it', async () => {
    const claim = { scope: 's', key: 'k', fingerprint: fp('hi') };
    await repo.begin(claim, 0);
    await repo.complete('s', 'k', response);
    expect(await repo.begin(claim, IDEMPOTENCY_TTL_MS - 1)).toEqual({ replay: response });
    expect(await repo.purgeExpired(IDEMPOTENCY_TTL_MS - 1)).toBe(0);
    expect(await repo.purgeExpired(IDEMPOTENCY_TTL_MS)).toBe(1);
    expect(await repo.begin({ ...claim, fingerprint: fp('other') }, IDEMPOTENCY_TTL_MS)).toBe('new');
  });

  test('release frees a claim whose request sent nothing', async () => {
    const claim = { scope: 's', key: 'k', fingerprint: fp('hi') };
    await repo.begin(claim, 0);
    await repo.release('s', 'k');
    expect(await repo.begin(claim, 1)).toBe('new');
    await repo.complete('s', 'k', response);
    await repo.release('s', 'k');
    expect(await repo.begin(claim, 2)).toEqual({ replay: response });
  });

  test('a parked request resumes its record once; later retries see it in progress; completing replays', async () => {
    const claim = { scope: 's', key: 'k', fingerprint: fp('hi') };
    expect(await repo.begin(claim, 0)).toBe('new');
    // Parking needs a bound record.
    await repo.park('s', 'k');
    expect(await repo.begin(claim, 1)).toBe('in-progress');
    await repo.bindMessage('s', 'k', 'REC1');
    await repo.park('s', 'k');
    expect(await repo.begin({ ...claim, fingerprint: fp('other') }, 2)).toBe('conflict');
    expect(await repo.begin(claim, 3)).toEqual({ resume: 'REC1' });
    expect(await repo.begin(claim, 4)).toBe('in-progress');
    await repo.complete('s', 'k', response);
    expect(await repo.begin(claim, 5)).toEqual({ replay: response });
  });

  test('after a crash, bound claims become resumable and unbound ones are released', async () => {
    const fresh = { scope: 's', key: 'unbound', fingerprint: fp('a') };
    const bound = { scope: 's', key: 'bound', fingerprint: fp('b') };
    const done = { scope: 's', key: 'done', fingerprint: fp('c') };
    for (const claim of [fresh, bound, done]) expect(await repo.begin(claim, 0)).toBe('new');
    await repo.bindMessage('s', 'bound', 'REC2');
    await repo.complete('s', 'done', response);
    const restarted = await fixture().reopen();
    expect(await restarted.recoverInterrupted()).toEqual({ resumable: 1, released: 1 });
    expect(await restarted.begin(bound, 1)).toEqual({ resume: 'REC2' });
    expect(await restarted.begin(fresh, 1)).toBe('new');
    expect(await restarted.begin(done, 1)).toEqual({ replay: response });
  });

  test('two concurrent first requests with one key: exactly one owns it', async () => {
    const claim = { scope: 's', key: 'race', fingerprint: fp('hi') };
    const other = await fixture().connect();
    const results = await Promise.all([repo.begin(claim, 0), other.begin(claim, 0), repo.begin(claim, 0), other.begin(claim, 0)]);
    expect(results.filter((r) => r === 'new')).toHaveLength(1);
    expect(results.filter((r) => r === 'in-progress')).toHaveLength(3);
  });

  test("sessions do not see each other's keys", async () => {
    const claim = { scope: 'client-a', key: 'k1', fingerprint: fp('hi') };
    const pending = { scope: 'client-a', key: 'k2', fingerprint: fp('pending') };
    const sales = await fixture().otherSession('sales');
    expect(await repo.begin(claim, 0)).toBe('new');
    await repo.bindMessage('client-a', 'k1', 'REC1');
    // The same client, key and request in another session is another request.
    expect(await sales.begin(claim, 0)).toBe('new');
    await sales.complete('client-a', 'k1', response);
    expect(await repo.begin(claim, 1)).toBe('in-progress');
    expect(await sales.begin(pending, 1)).toBe('new');
    // Recovery and purge touch only their own session.
    expect(await repo.recoverInterrupted()).toEqual({ resumable: 1, released: 0 });
    expect(await sales.begin(pending, 2)).toBe('in-progress');
    expect(await sales.purgeExpired(IDEMPOTENCY_TTL_MS)).toBe(1);
    expect(await repo.begin(claim, 2)).toEqual({ resume: 'REC1' });
    expect(await sales.begin(claim, IDEMPOTENCY_TTL_MS)).toBe('new');
    await repo.release('client-a', 'k1');
    expect(await sales.begin(claim, IDEMPOTENCY_TTL_MS + 1)).toBe('in-progress');
  });
});

describe('idempotency fingerprints', () => {
  test('the fingerprint covers method, path, fields (in any order) and the file hash', () => {
    const base = { method: 'post', path: '/api/send-image', fields: { phone: '1', caption: 'c' }, fileSha256: 'aa' };
    expect(requestFingerprint(base)).toBe(requestFingerprint({ ...base, method: 'POST', fields: { caption: 'c', phone: '1' } }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, fileSha256: 'bb' }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, path: '/api/send-document' }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, fields: { phone: '1', caption: 'd' } }));
  });
});
