/**
 * Where the Baileys credentials and Signal keys live: the SQLite store, each change in one
 * transaction. The transport only needs to load them and, after a 401, wipe them. A session folder
 * from the file-based state of earlier versions is imported once, so an upgrade keeps the link.
 */
import type { AuthenticationState } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { SqliteDatabase } from '../../store/database.js';
import { importMultiFileSession } from './session-import.js';
import { useSqliteAuthState } from './sqlite-auth-state.js';

export interface LoadedAuth {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
}

export interface AuthStore {
  load(): Promise<LoadedAuth>;
  clear(): Promise<void>;
  /**
   * Cluster mode: whether this node may drive the account right now (it holds the lease, before its
   * local deadline). Asked before each send, since a stalled event loop runs the fence timer late.
   * Absent: always.
   */
  mayDrive?(): boolean;
}

export async function createSqliteAuthStore(db: SqliteDatabase, sessionDir: string, logger: Logger): Promise<AuthStore> {
  const result = await importMultiFileSession(db, sessionDir, logger);
  if (result.imported) logger.info({ sessionDir }, 'imported the WhatsApp session folder into the SQLite store');
  return {
    load: () => useSqliteAuthState(db),
    clear: async () => (await useSqliteAuthState(db)).clear(),
  };
}
