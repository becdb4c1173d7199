/**
 * The cluster's AuthStore on both stores: a socket loads with the lease token held at that moment;
 * without a lease it does not load at all; once the lease is gone its creds and key writes are
 * refused, and the node is told at once (it stops the socket) before the error goes on.
 */
import { pino } from 'pino';
import { FencedKeyStore, FencedOffError } from '../../src/cluster/fenced-key-store.js';
import { LeaseRepository } from '../../src/cluster/lease-repository.js';
import { createFencedAuthStore, NoLeaseError } from '../../src/whatsapp/baileys/fenced-auth-store.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

const TTL = 60_000;

describe.each(DIALECTS)('fenced AuthStore on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);

  async function node() {
    const [db, other] = await dbs.nodes(2);
    const leases = new LeaseRepository(db!, 'node-a');
    let token: number | undefined;
    const fencedOff: FencedOffError[] = [];
    const store = createFencedAuthStore({
      store: new FencedKeyStore(db!, 'node-a'),
      session: 'sales',
      currentToken: () => token,
      onFencedOff: (error) => fencedOff.push(error),
      logger: pino({ level: 'silent' }),
    });
    return { leases, thief: new LeaseRepository(other!, 'node-b'), store, fencedOff, hold: (t: number | undefined) => (token = t) };
  }

  test('without a lease nothing loads; with one, creds and keys written come back for the next load', async () => {
    const { leases, store, hold, fencedOff } = await node();
    await expect(store.load()).rejects.toBeInstanceOf(NoLeaseError);
    expect(store.mayDrive?.()).toBe(false);
    hold((await leases.acquire('sales', TTL))!.token);
    expect(store.mayDrive?.()).toBe(true);
    const first = await store.load();
    first.state.creds.me = { id: '6281234567890:2@s.whatsapp.net' };
    await first.saveCreds();
    await first.state.keys.set({ session: { '6281234567890.0': Buffer.from('signal session') } });
    const again = await store.load();
    expect(again.state.creds.me?.id).toBe('6281234567890:2@s.whatsapp.net');
    const { '6281234567890.0': session } = await again.state.keys.get('session', ['6281234567890.0']);
    expect(Buffer.from(session!).toString()).toBe('signal session');
    expect(fencedOff).toEqual([]);
  });

  test('a socket outliving its lease is refused on creds and keys, and the node is told each time', async () => {
    const { leases, thief, store, hold, fencedOff } = await node();
    const lease = await leases.acquire('sales', TTL);
    hold(lease!.token);
    const socket = await store.load();
    await leases.release('sales', lease!.token);
    expect(await thief.acquire('sales', TTL)).not.toBeNull();
    await expect(socket.saveCreds()).rejects.toBeInstanceOf(FencedOffError);
    await expect(socket.state.keys.set({ session: { x: Buffer.from('late') } })).rejects.toBeInstanceOf(FencedOffError);
    await expect(store.clear()).rejects.toBeInstanceOf(FencedOffError);
    expect(fencedOff.map((e) => [e.session, e.token])).toEqual([
      ['sales', lease!.token],
      ['sales', lease!.token],
      ['sales', lease!.token],
    ]);
    expect(await socket.state.keys.get('session', ['x'])).toEqual({ x: null });
  });
});
