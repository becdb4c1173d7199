/**
 * Where the Baileys credentials and Signal keys live. The transport only needs to load them and,
 * after a 401, wipe them. The multi-file implementation is Baileys' own folder format.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { useMultiFileAuthState, type AuthenticationState } from '@whiskeysockets/baileys';

export interface LoadedAuth {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
}

export interface AuthStore {
  load(): Promise<LoadedAuth>;
  clear(): Promise<void>;
}

export function createMultiFileAuthStore(sessionDir: string): AuthStore {
  return {
    async load() {
      await mkdir(sessionDir, { recursive: true, mode: 0o700 });
      return useMultiFileAuthState(sessionDir);
    },
    async clear() {
      // Empty the folder but keep it, so a mount point or a systemd ReadWritePaths entry survives
      // (removing the folder itself fails with EBUSY on a mount point and loses its owner/mode).
      await mkdir(sessionDir, { recursive: true, mode: 0o700 });
      const entries = await readdir(sessionDir);
      await Promise.all(entries.map((entry) => rm(path.join(sessionDir, entry), { recursive: true, force: true })));
    },
  };
}
