/**
 * Where the Baileys credentials and Signal keys live. The transport only needs to load them and,
 * after a 401, wipe them. The multi-file implementation is Baileys' own folder format.
 */
import { mkdir, rm } from 'node:fs/promises';
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
      // Empty the folder but keep it, so a mount point or a systemd ReadWritePaths entry survives.
      await rm(sessionDir, { recursive: true, force: true });
      await mkdir(sessionDir, { recursive: true, mode: 0o700 });
    },
  };
}
