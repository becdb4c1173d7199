/**
 * One-time import of the file-based session (`useMultiFileAuthState`'s folder) into SQLite, so an
 * upgraded gateway keeps its linked device instead of asking for a new QR.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { SignalDataTypeMap } from '@whiskeysockets/baileys';
import type { SqliteDatabase } from '../../store/database.js';
import { decodeAuthValue, encodeAuthValue, hasStoredCreds } from './sqlite-auth-state.js';

export const SESSION_IMPORT_META_KEY = 'multi_file_session_import';

export type SessionImportResult =
  { imported: true; keys: number; skipped: string[] } | { imported: false; reason: 'already-imported' | 'db-has-creds' | 'no-session' };

/**
 * Every key type Baileys 7 writes, longest first: file names are `<type>-<id>.json` and types
 * contain dashes themselves ('sender-key' is a prefix of 'sender-key-memory').
 */
const KEY_TYPES: readonly (keyof SignalDataTypeMap)[] = [
  ...([
    'pre-key',
    'session',
    'sender-key',
    'sender-key-memory',
    'app-state-sync-key',
    'app-state-sync-version',
    'lid-mapping',
    'device-list',
    'tctoken',
    'identity-key',
  ] as const),
].sort((a, b) => b.length - a.length);

/**
 * Baileys names files with `/`→`__` and `:`→`-`, which is lossy in general, so the id is restored
 * per type from what that type's ids can contain: app-state key ids are base64 (may contain `/`,
 * never `_`), sender-key ids are `<group>::<sender>::<device>`. Every other type's ids are
 * numbers, user ids or normalized JIDs without `/` or `:`, so their file name is already the id —
 * and `__` must stay in them (tctoken's `__index`).
 */
function idFromFileName(type: keyof SignalDataTypeMap, fixedId: string): string {
  if (type === 'app-state-sync-key') return fixedId.replaceAll('__', '/');
  if (type === 'sender-key') return fixedId.replaceAll('--', '::');
  return fixedId;
}

export function parseKeyFileName(fileName: string): { type: keyof SignalDataTypeMap; id: string } | null {
  if (!fileName.endsWith('.json') || fileName === 'creds.json') return null;
  const base = fileName.slice(0, -'.json'.length);
  const type = KEY_TYPES.find((t) => base.startsWith(`${t}-`));
  if (!type) return null;
  const fixedId = base.slice(type.length + 1);
  return fixedId ? { type, id: idFromFileName(type, fixedId) } : null;
}

export async function importMultiFileSession(db: SqliteDatabase, sessionDir: string, logger: Logger = pino({ level: 'silent' })): Promise<SessionImportResult> {
  const log = logger.child({ module: 'session-import' });
  // Once imported, never again: after a logout the DB is empty but the old folder still holds
  // creds the server has revoked, and re-importing them would loop on 401.
  if (db.prepare('SELECT 1 FROM meta WHERE key = ?').get(SESSION_IMPORT_META_KEY)) return { imported: false, reason: 'already-imported' };
  if (hasStoredCreds(db)) return { imported: false, reason: 'db-has-creds' };

  let credsText: string;
  try {
    credsText = await readFile(join(sessionDir, 'creds.json'), 'utf8');
  } catch {
    return { imported: false, reason: 'no-session' };
  }
  // Parse and re-encode so a damaged file fails here, before anything is written.
  const credsData = encodeAuthValue(decodeAuthValue(credsText));

  const keys: { type: string; id: string; data: string }[] = [];
  const skipped: string[] = [];
  for (const entry of await readdir(sessionDir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'creds.json') continue;
    const parsed = parseKeyFileName(entry.name);
    if (!parsed) {
      skipped.push(entry.name);
      continue;
    }
    const text = await readFile(join(sessionDir, entry.name), 'utf8');
    let value: unknown;
    try {
      value = decodeAuthValue(text);
    } catch {
      // A half-written key file from a crash; Baileys itself would have read it as missing.
      skipped.push(entry.name);
      continue;
    }
    if (value === null || value === undefined) continue;
    keys.push({ type: parsed.type, id: parsed.id, data: encodeAuthValue(value) });
  }

  const now = Date.now();
  const upsertKey = db.prepare('INSERT INTO auth_keys (type, id, data) VALUES (?, ?, ?) ON CONFLICT (type, id) DO UPDATE SET data = excluded.data');
  const imported = db
    .transaction(() => {
      // Re-checked under the write lock: another process may have imported in the meantime.
      if (db.prepare('SELECT 1 FROM meta WHERE key = ?').get(SESSION_IMPORT_META_KEY) || hasStoredCreds(db)) return false;
      db.prepare('INSERT INTO auth_creds (id, data, updated_at) VALUES (1, ?, ?)').run(credsData, now);
      for (const key of keys) upsertKey.run(key.type, key.id, key.data);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(
        SESSION_IMPORT_META_KEY,
        JSON.stringify({ at: new Date(now).toISOString(), from: sessionDir, keys: keys.length, skipped }),
      );
      return true;
    })
    .immediate();
  if (!imported) return { imported: false, reason: 'already-imported' };

  if (skipped.length > 0) log.warn({ skipped }, 'session files not recognised, not imported');
  log.info(
    { sessionDir, keys: keys.length },
    'imported the file-based WhatsApp session into the database; the session folder is no longer used and can be removed',
  );
  return { imported: true, keys: keys.length, skipped };
}
