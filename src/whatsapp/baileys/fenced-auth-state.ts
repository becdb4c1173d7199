/**
 * Baileys' authentication state on the shared store (SQLite or PostgreSQL), for a node holding the
 * session's lease: same return shape and BufferJSON encoding as useSqliteAuthState, but every write
 * carries the lease token and is refused with FencedOffError once another node owns the session.
 * A FencedOffError from saveCreds or keys.set means: stop this socket now. Cluster mode's AuthStore
 * (fenced-auth-store.ts) loads each socket's state through it.
 */
import { initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataSet, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import { CREDS_TYPE, type FencedKeyStore } from '../../cluster/fenced-key-store.js';
import { decodeAuthValue, encodeAuthValue } from './sqlite-auth-state.js';

export interface FencedAuthState {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
  /** Wipes credentials and keys (logout, 401), fenced like every write. */
  clear: () => Promise<void>;
}

// The embedded store's encoding, as bytes: the same text (BufferJSON), and its fast path for values without bytes.
const encode = (value: unknown): Buffer => Buffer.from(encodeAuthValue(value));
const decode = (bytes: Buffer): unknown => decodeAuthValue(bytes.toString('utf8'));

export async function useFencedAuthState(store: FencedKeyStore, session: string, token: number): Promise<FencedAuthState> {
  const keys = store.forSession(session, token);
  const stored = (await keys.get(CREDS_TYPE, ['']))[''];
  const creds = stored ? (decode(stored) as AuthenticationCreds) : initAuthCreds();

  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        // Like the multi-file state, a missing key is reported as null rather than left out.
        const data: Record<string, SignalDataTypeMap[T]> = {};
        for (const id of ids) data[id] = null as unknown as SignalDataTypeMap[T];
        for (const [id, bytes] of Object.entries(await keys.get(type, ids))) {
          let value = decode(bytes);
          if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
          data[id] = value as SignalDataTypeMap[T];
        }
        return data;
      },
      set: async (data: SignalDataSet) => {
        const encoded: Record<string, Record<string, Buffer | null>> = {};
        for (const [type, entries] of Object.entries(data)) {
          encoded[type] = Object.fromEntries(Object.entries(entries ?? {}).map(([id, value]) => [id, value ? encode(value) : null]));
        }
        await keys.set(encoded);
      },
    },
  };

  return {
    state,
    saveCreds: () => keys.set({ [CREDS_TYPE]: { '': encode(creds) } }),
    clear: () => store.clear(session, token),
  };
}
