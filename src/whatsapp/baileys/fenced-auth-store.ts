/**
 * The AuthStore of a session in cluster mode: credentials and Signal keys in the shared store,
 * every write carrying the lease token this node holds for the session. Each socket loads with the
 * token current at that moment and keeps it: a socket outliving its lease writes with a stale token
 * and is refused. A refused write (FencedOffError) means another node may already drive the
 * account, so `onFencedOff` is told at once (it stops the socket) before the error goes on.
 */
import type { Logger } from 'pino';
import { FencedOffError, type FencedKeyStore } from '../../cluster/fenced-key-store.js';
import type { AuthStore, LoadedAuth } from './auth-store.js';
import { useFencedAuthState } from './fenced-auth-state.js';

export interface FencedAuthStoreOptions {
  store: FencedKeyStore;
  session: string;
  /** The token of this node's lease on the session, or undefined when it may not drive it now. */
  currentToken: () => number | undefined;
  onFencedOff: (error: FencedOffError) => void;
  logger: Logger;
}

export class NoLeaseError extends Error {
  constructor(readonly session: string) {
    super(`session ${session}: this node does not hold its lease; not connecting`);
    this.name = 'NoLeaseError';
  }
}

export function createFencedAuthStore(options: FencedAuthStoreOptions): AuthStore {
  const { store, session } = options;
  const fenced = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      if (error instanceof FencedOffError) {
        options.logger.warn({ session, token: error.token }, 'credentials write refused: the lease is gone; stopping the socket');
        options.onFencedOff(error);
      }
      throw error;
    }
  };
  const token = () => {
    const value = options.currentToken();
    if (value === undefined) throw new NoLeaseError(session);
    return value;
  };
  return {
    load: async (): Promise<LoadedAuth> => {
      const { state, saveCreds } = await useFencedAuthState(store, session, token());
      const keys = state.keys;
      return {
        state: { creds: state.creds, keys: { ...keys, set: (data) => fenced(async () => keys.set(data)) } },
        saveCreds: () => fenced(saveCreds),
      };
    },
    mayDrive: () => options.currentToken() !== undefined,
    clear: async () => {
      const held = token();
      await fenced(() => store.clear(session, held));
    },
  };
}
