/**
 * Remembers which Signal keys are known to be absent. Baileys asks for a `tctoken` of the
 * recipient on every send, and such a key usually never exists; Baileys' own key cache only
 * remembers keys it found, so each send went to SQLite for nothing. A later `set` of that key
 * (or `clear`) forgets the miss before the store is written, so a key that appears is never hidden.
 * One memo per socket: keys written to the database any other way (a session import) happen
 * before a socket exists.
 */
import type { SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';

/** Beyond this many remembered misses the memo starts afresh, so it cannot grow without bound. */
const MAX_REMEMBERED_MISSES = 10_000;

export function rememberMissingKeys(store: SignalKeyStore): SignalKeyStore {
  const missing = new Set<string>();
  const slot = (type: string, id: string) => `${type}\u0000${id}`;
  return {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const unknown = ids.filter((id) => !missing.has(slot(type, id)));
      if (unknown.length === 0) return {} as Record<string, SignalDataTypeMap[T]>;
      const found = await store.get(type, unknown);
      for (const id of unknown) {
        if (found[id]) continue;
        if (missing.size >= MAX_REMEMBERED_MISSES) missing.clear();
        missing.add(slot(type, id));
      }
      return found;
    },
    set: async (data: SignalDataSet) => {
      for (const [type, entries] of Object.entries(data)) {
        for (const id of Object.keys(entries ?? {})) missing.delete(slot(type, id));
      }
      await store.set(data);
    },
    clear: async () => {
      missing.clear();
      await store.clear?.();
    },
  };
}
