/**
 * Runs a test file's cases against both stores: a SQLite file and a throwaway PostgreSQL server
 * (one server per file, a fresh database per case). Use inside `describe.each(DIALECTS)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseTarget, type SqlDatabase } from '../../src/cluster/sql/database.js';
import type { SqlDialectName } from '../../src/cluster/sql/dialect.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

export const DIALECTS: SqlDialectName[] = ['sqlite', 'postgres'];

export interface TestDatabases {
  /** A new, empty database (not opened). */
  freshTarget(): Promise<DatabaseTarget>;
  /** Opens (and migrates) a database; closed after the case. */
  open(target: DatabaseTarget): Promise<SqlDatabase>;
  /** `count` separate connections (Kysely instances) to one fresh database: one per "node". */
  nodes(count: number): Promise<SqlDatabase[]>;
  /** The running PostgreSQL server (postgres only). */
  cluster(): PostgresCluster;
}

export function useTestDatabases(dialect: SqlDialectName): TestDatabases {
  let cluster: PostgresCluster | undefined;
  let dir = '';
  let count = 0;
  const opened: SqlDatabase[] = [];

  beforeAll(async () => {
    if (dialect === 'postgres') cluster = await startPostgresCluster();
    else dir = mkdtempSync(join(tmpdir(), 'sqlite-cluster-'));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api: TestDatabases = {
    freshTarget: async () => {
      count += 1;
      if (dialect === 'postgres') return { databaseUrl: await api.cluster().createDatabase(`case_${count}`) };
      return { sqlitePath: join(dir, `case-${count}.db`) };
    },
    open: async (target) => {
      const db = await openDatabase(target);
      opened.push(db);
      return db;
    },
    nodes: async (n) => {
      const target = await api.freshTarget();
      const dbs: SqlDatabase[] = [];
      // One after the other: the first applies the migrations, the rest find them applied.
      for (let i = 0; i < n; i++) dbs.push(await api.open(target));
      return dbs;
    },
    cluster: () => {
      if (!cluster) throw new Error('no PostgreSQL cluster in a sqlite suite');
      return cluster;
    },
  };
  return api;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
