import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';

/** A real SQLite file in a fresh temp folder; `cleanup` closes it and removes the folder. */
export function tempDatabase(prefix = 'wa-store-'): { dir: string; file: string; db: SqliteDatabase; reopen: () => SqliteDatabase; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'gateway.db');
  const handle = {
    dir,
    file,
    db: openDatabase(file),
    reopen: () => {
      handle.db.close();
      handle.db = openDatabase(file);
      return handle.db;
    },
    cleanup: () => {
      if (handle.db.open) handle.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
