/**
 * Baileys' authentication state in SQLite, a drop-in for `useMultiFileAuthState`: same return
 * shape, same BufferJSON encoding (so imported creds.json files read back byte-identical), but a
 * batch of key changes is one transaction instead of dozens of loose files a crash can tear apart.
 */
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import type { SqliteDatabase } from '../../store/database.js';

export interface SqliteAuthState {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
  /** Wipes credentials and keys (logout, 401), so the next start registers afresh with a QR. */
  clear: () => Promise<void>;
}

/**
 * BufferJSON's replacer changes only bytes (and objects already shaped as `{ type: 'Buffer' }`); a
 * value without any, such as the Signal session Baileys writes on every send (libsignal serializes
 * it to base64 strings), encodes the same without it, and several times faster than with a
 * callback per property (issue 13). Anything the walk is unsure of takes the replacer.
 */
export const encodeAuthValue = (value: unknown): string => (replacerChanges(value, 0) ? JSON.stringify(value, BufferJSON.replacer) : JSON.stringify(value));

/** Deeper than any key Baileys stores; past it (or on a cycle) the replacer's path decides, and throws like before. */
const MAX_PLAIN_DEPTH = 32;

function replacerChanges(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_PLAIN_DEPTH || value instanceof Uint8Array || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if ((value as { type?: unknown }).type === 'Buffer') return true;
  if (Array.isArray(value)) return value.some((item) => replacerChanges(item, depth + 1));
  for (const key in value) {
    if (Object.hasOwn(value, key) && replacerChanges((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}
export const decodeAuthValue = (text: string): unknown => JSON.parse(text, BufferJSON.reviver);

export function hasStoredCreds(db: SqliteDatabase): boolean {
  return db.prepare('SELECT 1 FROM auth_creds WHERE id = 1').get() !== undefined;
}

export function useSqliteAuthState(db: SqliteDatabase): Promise<SqliteAuthState> {
  const readCreds = db.prepare<[], { data: string }>('SELECT data FROM auth_creds WHERE id = 1');
  const writeCreds = db.prepare(
    'INSERT INTO auth_creds (id, data, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
  );
  const readKeys = db.prepare<[string, string], { id: string; data: string }>(
    'SELECT id, data FROM auth_keys WHERE type = ? AND id IN (SELECT value FROM json_each(?))',
  );
  const upsertKey = db.prepare('INSERT INTO auth_keys (type, id, data) VALUES (?, ?, ?) ON CONFLICT (type, id) DO UPDATE SET data = excluded.data');
  const deleteKey = db.prepare('DELETE FROM auth_keys WHERE type = ? AND id = ?');

  const stored = readCreds.get();
  const creds = stored ? (decodeAuthValue(stored.data) as AuthenticationCreds) : initAuthCreds();

  const setKeys = db.transaction((data: SignalDataSet) => {
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        if (value) upsertKey.run(type, id, encodeAuthValue(value));
        else deleteKey.run(type, id);
      }
    }
  });

  const clearKeys = db.transaction(() => {
    db.prepare('DELETE FROM auth_keys').run();
  });
  const clearAll = db.transaction(() => {
    db.prepare('DELETE FROM auth_keys').run();
    db.prepare('DELETE FROM auth_creds').run();
  });

  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        // Like the multi-file state, a missing key is reported as null rather than left out.
        const data: Record<string, SignalDataTypeMap[T]> = {};
        for (const id of ids) data[id] = null as unknown as SignalDataTypeMap[T];
        for (const row of readKeys.all(type, JSON.stringify(ids))) {
          let value = decodeAuthValue(row.data);
          if (type === 'app-state-sync-key' && value) {
            value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
          }
          data[row.id] = value as SignalDataTypeMap[T];
        }
        return data;
      },
      set: async (data: SignalDataSet) => {
        setKeys(data);
      },
      clear: async () => {
        clearKeys();
      },
    },
  };

  return Promise.resolve({
    state,
    saveCreds: async () => {
      writeCreds.run(encodeAuthValue(creds), Date.now());
    },
    clear: async () => {
      clearAll();
    },
  });
}
