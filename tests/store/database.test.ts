import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { currentSchemaVersion, openDatabase } from '../../src/store/database.js';
import { MIGRATIONS, type Migration } from '../../src/store/migrations.js';

describe('openDatabase', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('creates the file in a missing folder, in WAL mode with foreign keys and a busy timeout', () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-db-'));
    const db = openDatabase(join(dir, 'nested', 'gateway.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(currentSchemaVersion(db)).toBe(MIGRATIONS.length);
    db.close();
  });

  test('re-opening applies nothing and keeps the data', () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-db-'));
    const file = join(dir, 'gateway.db');
    const first = openDatabase(file);
    first.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
    first.close();
    const second = openDatabase(file);
    expect(second.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    expect(second.prepare("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: 'v' });
    second.close();
  });

  test('an old database is upgraded by the migrations it has not seen, and keeps its rows', () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-db-'));
    const file = join(dir, 'gateway.db');
    const v1: Migration = { version: 1, name: 'notes', up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)') };
    const v2: Migration = { version: 2, name: 'notes.author', up: (db) => db.exec("ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown'") };

    const old = openDatabase(file, undefined, { migrations: [v1] });
    old.prepare("INSERT INTO notes (body) VALUES ('hello')").run();
    old.close();

    const upgraded = openDatabase(file, undefined, { migrations: [v1, v2] });
    expect(currentSchemaVersion(upgraded)).toBe(2);
    expect(upgraded.prepare('SELECT body, author FROM notes').all()).toEqual([{ body: 'hello', author: 'unknown' }]);
    upgraded.close();
  });

  test('a failing migration rolls back completely and leaves the version unchanged', () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-db-'));
    const file = join(dir, 'gateway.db');
    const v1: Migration = { version: 1, name: 'a', up: (db) => db.exec('CREATE TABLE a (id INTEGER)') };
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up: (db) => {
        db.exec('CREATE TABLE b (id INTEGER)');
        throw new Error('boom');
      },
    };
    openDatabase(file, undefined, { migrations: [v1] }).close();
    expect(() => openDatabase(file, undefined, { migrations: [v1, broken] })).toThrow('boom');
    const db = openDatabase(file, undefined, { migrations: [v1] });
    expect(currentSchemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  test('refuses a database written by a newer gateway, and a migration list with gaps', () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-db-'));
    const file = join(dir, 'gateway.db');
    const v1: Migration = { version: 1, name: 'a', up: () => undefined };
    const v2: Migration = { version: 2, name: 'b', up: () => undefined };
    openDatabase(file, undefined, { migrations: [v1, v2] }).close();
    expect(() => openDatabase(file, undefined, { migrations: [v1] })).toThrow(/newer than this gateway/);
    expect(() => openDatabase(file, undefined, { migrations: [v2] })).toThrow(/without gaps/);
  });
});
