import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { IDEMPOTENCY_TTL_MS, SqliteIdempotencyRepository, requestFingerprint } from '../../src/http/idempotency-repository.js';
import { tempDatabase } from './temp-db.js';

const fp = (message: string) => requestFingerprint({ method: 'POST', path: '/api/send-message', fields: { phone: '6281234567890', message } });
const response = { statusCode: 200, body: { status: 'success', message: 'Text message sent successfully', data: { message_id: 'W1' } } };

describe('SqliteIdempotencyRepository', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let repo: SqliteIdempotencyRepository;
  beforeEach(() => {
    tmp = tempDatabase('wa-idem-');
    repo = new SqliteIdempotencyRepository(tmp.db);
  });
  afterEach(() => tmp.cleanup());

  test('new, then in-progress while running, then the first response is replayed', async () => {
    const claim = { scope: 'client-a', key: 'k1', fingerprint: fp('hi') };
    expect(await repo.begin(claim, 0)).toBe('new');
    expect(await repo.begin(claim, 1)).toBe('in-progress');
    await repo.complete('client-a', 'k1', response);
    expect(await repo.begin(claim, 2)).toEqual({ replay: response });
    // Survives a restart.
    expect(await new SqliteIdempotencyRepository(tmp.reopen()).begin(claim, 3)).toEqual({ replay: response });
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

  test('the fingerprint covers method, path, fields (in any order) and the file hash', () => {
    const base = { method: 'post', path: '/api/send-image', fields: { phone: '1', caption: 'c' }, fileSha256: 'aa' };
    expect(requestFingerprint(base)).toBe(requestFingerprint({ ...base, method: 'POST', fields: { caption: 'c', phone: '1' } }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, fileSha256: 'bb' }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, path: '/api/send-document' }));
    expect(requestFingerprint(base)).not.toBe(requestFingerprint({ ...base, fields: { phone: '1', caption: 'd' } }));
  });
});
