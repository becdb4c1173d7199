/**
 * Baileys' auth state on the fenced store, with real Baileys encoding, on both stores: creds and
 * every kind of key come back deep-equal for the next owner; writes with a stale token (saveCreds,
 * keys.set, clear) are refused with FencedOffError and change nothing.
 */
import { randomBytes } from 'node:crypto';
import type { SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import { FencedKeyStore, FencedOffError } from '../../src/cluster/fenced-key-store.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { useFencedAuthState } from '../../src/whatsapp/baileys/fenced-auth-state.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

const TTL = 60_000;

function sampleKeys(): SignalDataSet {
  return {
    'pre-key': { '1': { public: randomBytes(32), private: randomBytes(32) }, '2': { public: randomBytes(32), private: randomBytes(32) } },
    session: { '6281234567890.0': randomBytes(120) },
    'sender-key': { '120363025246125888@g.us::6281234567890::0': randomBytes(64) },
    'app-state-sync-key': {
      'AAAAAB/x+Q==': { keyData: randomBytes(32), fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 1] }, timestamp: 1700000000 },
    },
    'lid-mapping': { '6281234567890': '123456789012345' },
    'device-list': { '6281234567890': ['0', '2'] },
  };
}

describe.each(DIALECTS)('fenced Baileys auth state on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  async function twoNodes() {
    const [dbA, dbB] = await dbs.nodes(2);
    return {
      a: { leases: new LeaseRepository(dbA!, 'node-a'), keys: new FencedKeyStore(dbA!, 'node-a') },
      b: { leases: new LeaseRepository(dbB!, 'node-b'), keys: new FencedKeyStore(dbB!, 'node-b') },
    };
  }

  test('the next owner reads creds and keys back deep-equal; the old owner is fenced off', async () => {
    const { a, b } = await twoNodes();
    const leaseA = await a.leases.acquire('sales', TTL);
    const authA = await useFencedAuthState(a.keys, 'sales', leaseA!.token);
    expect(authA.state.creds.registered).toBe(false);
    authA.state.creds.me = { id: '6281234567890:2@s.whatsapp.net', name: 'Gateway' };
    await authA.saveCreds();
    const keys = sampleKeys();
    await authA.state.keys.set(keys);

    // Handover: A releases, B acquires and loads the session.
    await a.leases.release('sales', leaseA!.token);
    const leaseB = await b.leases.acquire('sales', TTL);
    const authB = await useFencedAuthState(b.keys, 'sales', leaseB!.token);
    expect(authB.state.creds).toEqual(authA.state.creds);
    expect(Buffer.isBuffer(authB.state.creds.noiseKey.private)).toBe(true);
    for (const [type, entries] of Object.entries(keys) as [keyof SignalDataTypeMap, Record<string, unknown>][]) {
      const got = await authB.state.keys.get(type, [...Object.keys(entries), 'missing']);
      expect(got.missing).toBeNull();
      for (const [id, value] of Object.entries(entries)) {
        const expected = type === 'app-state-sync-key' ? expect.objectContaining({ keyData: expect.any(Buffer) }) : value;
        expect({ type, id, value: got[id] }).toEqual({ type, id, value: expected });
      }
    }

    // A still runs its old socket for a moment: everything it tries to persist is refused.
    authA.state.creds.me = { id: '6281234567890:2@s.whatsapp.net', name: 'Stale' };
    await expect(authA.saveCreds()).rejects.toBeInstanceOf(FencedOffError);
    await expect(authA.state.keys.set({ 'pre-key': { '1': null, '3': { public: randomBytes(32), private: randomBytes(32) } } })).rejects.toBeInstanceOf(
      FencedOffError,
    );
    await expect(authA.clear()).rejects.toBeInstanceOf(FencedOffError);
    const reread = await useFencedAuthState(b.keys, 'sales', leaseB!.token);
    expect(reread.state.creds.me?.name).toBe('Gateway');
    expect((await reread.state.keys.get('pre-key', ['1', '3']))['1']).not.toBeNull();
    expect((await reread.state.keys.get('pre-key', ['3']))['3']).toBeNull();

    // The owner's logout wipes everything; the next load starts unregistered.
    await reread.clear();
    const fresh = await useFencedAuthState(b.keys, 'sales', leaseB!.token);
    expect(fresh.state.creds.me).toBeUndefined();
    expect(await fresh.state.keys.get('pre-key', ['1', '2'])).toEqual({ '1': null, '2': null });
  });
});
