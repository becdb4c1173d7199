/**
 * Prepared statements compiled once per repository instead of on every call: `prepare` parses
 * and plans the SQL, which cost more than running it on the send path (a CPU profile's largest
 * single function). Keyed by the SQL text, so a repository's dynamic SQL (a list filter's WHERE)
 * is cached per shape; the number of shapes is small and fixed by the code.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  prepare<Params extends unknown[] | object = unknown[], Result = unknown>(sql: string): Statement<Params, Result> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Statement<Params, Result>;
  }
}
