/**
 * Moves a whole existing install into the shared store: DATA_DIR/gateway.db as session `default`
 * and every DATA_DIR/sessions/<name>/gateway.db as <name>, one importEmbeddedSession each (each in
 * its own transaction and idempotent, so a run that stopped half-way is simply run again).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { importEmbeddedSession, type ImportReport } from '../cluster/import-embedded.js';
import type { SqlDatabase } from '../cluster/sql/database.js';
import { openDatabase } from '../store/database.js';
import { importMultiFileSession } from '../whatsapp/baileys/session-import.js';
import { SESSIONS_FOLDER } from './session-manager.js';
import { DEFAULT_SESSION, isSessionName } from './session-name.js';
import { DATABASE_FILE } from './session-runtime.js';

/**
 * The embedded files of an install, default's first (it holds the session list). `withDefault`:
 * default's even when it does not exist yet (its credentials are still in a session folder).
 */
export async function installFiles(dataDir: string, withDefault = false): Promise<Array<{ session: string; file: string }>> {
  const files = [{ session: DEFAULT_SESSION, file: path.join(dataDir, DATABASE_FILE) }];
  const sessionsDir = path.join(dataDir, SESSIONS_FOLDER);
  const entries = existsSync(sessionsDir) ? await readdir(sessionsDir, { withFileTypes: true }) : [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.isDirectory() && isSessionName(entry.name) && entry.name !== DEFAULT_SESSION) {
      files.push({ session: entry.name, file: path.join(sessionsDir, entry.name, DATABASE_FILE) });
    }
  }
  return files.filter((f) => existsSync(f.file) || (withDefault && f.session === DEFAULT_SESSION));
}

export interface InstallImportOptions {
  /**
   * SESSION_DIR of an install older than the SQLite store (Baileys' multi-file folder): its
   * credentials go into default's file first, as a start of the gateway would have put them.
   */
  defaultSessionDir?: string;
  logger?: Logger;
}

export async function importInstall(dataDir: string, store: SqlDatabase, options: InstallImportOptions = {}): Promise<ImportReport[]> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const log = logger.child({ module: 'import-install' });
  const reports: ImportReport[] = [];
  for (const { session, file } of await installFiles(dataDir, options.defaultSessionDir !== undefined && existsSync(options.defaultSessionDir))) {
    // Opening migrates the file to this gateway's schema, as starting the gateway on it would.
    const embedded = openDatabase(file, logger);
    try {
      if (session === DEFAULT_SESSION && options.defaultSessionDir) await importMultiFileSession(embedded, options.defaultSessionDir, logger);
      const report = await importEmbeddedSession({ embedded, store, session });
      log.info({ file, ...report }, 'session imported into the shared store');
      reports.push(report);
    } finally {
      embedded.close();
    }
  }
  return reports;
}
