/**
 * Runs one repository's cases against every implementation of its interface: the embedded store
 * the gateway uses today (one SQLite file per session, src/store/) and the shared store through
 * Kysely on SQLite and on a throwaway PostgreSQL (one database, many sessions). Use inside
 * `describe.each(STORES)`, with `useRepository(store, { embedded, shared })`.
 */
import type { Kysely } from 'kysely';
import { openDatabase as openSharedDatabase, type DatabaseTarget, type SqlDatabase } from '../../src/cluster/sql/database.js';
import type { StoreSchema } from '../../src/cluster/sql/schema.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { useTestDatabases } from './cluster-databases.js';
import { tempDatabase } from '../store/temp-db.js';

export const STORES = ['embedded SQLite', 'Kysely on sqlite', 'Kysely on postgres'] as const;
export type StoreName = (typeof STORES)[number];

export interface RepositoryFactories<R> {
  /** Today's implementation over a session's own SQLite file. */
  embedded(db: SqliteDatabase): R;
  /** The shared-store implementation for one session. */
  shared(db: Kysely<StoreSchema>, session: string): R;
}

export interface RepositoryFixture<R> {
  /** Session `default`'s repository on a fresh, empty store. */
  repo: R;
  /** The same session after a restart: `repo`'s connection is closed (do not use `repo` after), a new one opened. */
  reopen(): Promise<R>;
  /** The same session over a second connection to the same database, `repo`'s staying open. */
  connect(): Promise<R>;
  /**
   * Another session's repository: for the embedded store its own file (as the gateway keeps one per
   * session), for the shared store the SAME database under another session name.
   */
  otherSession(name: string): Promise<R>;
}

/** The current case's fixture; a fresh store per case. */
export function useRepository<R>(store: StoreName, make: RepositoryFactories<R>): () => RepositoryFixture<R> {
  let fixture: RepositoryFixture<R> | undefined;
  const current = () => {
    if (!fixture) throw new Error('no repository outside a test case');
    return fixture;
  };

  if (store === 'embedded SQLite') {
    let files: ReturnType<typeof tempDatabase>[] = [];
    let connections: SqliteDatabase[] = [];
    beforeEach(() => {
      const tmp = tempDatabase('wa-repo-');
      files = [tmp];
      connections = [];
      fixture = {
        repo: make.embedded(tmp.db),
        reopen: async () => make.embedded(tmp.reopen()),
        connect: async () => {
          const db = openDatabase(tmp.file);
          connections.push(db);
          return make.embedded(db);
        },
        otherSession: async () => {
          const other = tempDatabase('wa-repo-other-');
          files.push(other);
          return make.embedded(other.db);
        },
      };
    });
    afterEach(() => {
      connections.forEach((db) => db.close());
      files.forEach((f) => f.cleanup());
      fixture = undefined;
    });
    return current;
  }

  const dbs = useTestDatabases(store === 'Kysely on postgres' ? 'postgres' : 'sqlite');
  let open: SqlDatabase[] = [];
  const connect = async (target: DatabaseTarget) => {
    const opened = await openSharedDatabase(target);
    open.push(opened);
    return opened.db;
  };
  beforeEach(async () => {
    const target = await dbs.freshTarget();
    const db = await connect(target);
    fixture = {
      repo: make.shared(db, 'default'),
      reopen: async () => {
        const first = open.find((o) => o.db === db);
        if (first) {
          open = open.filter((o) => o !== first);
          await first.close();
        }
        return make.shared(await connect(target), 'default');
      },
      connect: async () => make.shared(await connect(target), 'default'),
      otherSession: async (name) => make.shared(db, name),
    };
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
    fixture = undefined;
  });
  return current;
}
