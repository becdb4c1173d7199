/**
 * A node that cannot reach PostgreSQL answers 503 STORE_UNAVAILABLE (nothing done, try again), not
 * a bare 500: the pool's connect failure is classified where a connection is taken. Real pg against
 * a port nobody listens on, and the real error handler.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import express from 'express';
import { Kysely, PostgresDialect, sql } from 'kysely';
import request from 'supertest';
import { StoreUnavailableError, isStoreUnavailable } from '../../src/cluster/sql/store-unavailable.js';
import { postgresPool } from '../../src/cluster/sql/database.js';
import { errorHandler } from '../../src/http/error-handler.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('shared store unreachable', () => {
  test('taking a connection from a store nobody serves fails with StoreUnavailableError', async () => {
    const port = await closedPort();
    const pool = postgresPool(`postgres://nobody@127.0.0.1:${port}/none`, 2);
    const error = await pool.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    await pool.end();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isStoreUnavailable(error)).toBe(true);
    expect((error as Error).message).toMatch(/shared database cannot be reached: .*ECONNREFUSED/);
  });

  test('a request whose query cannot get a connection is answered 503 STORE_UNAVAILABLE with Retry-After', async () => {
    const port = await closedPort();
    const app = express();
    app.get('/needs-store', async () => {
      // The store as openDatabase builds it for PostgreSQL: the connect fails at the first query.
      const db = new Kysely<object>({ dialect: new PostgresDialect({ pool: postgresPool(`postgres://nobody@127.0.0.1:${port}/none`, 2) }) });
      try {
        await sql`select 1`.execute(db);
      } finally {
        await db.destroy();
      }
    });
    app.use(errorHandler);
    const res = await request(app).get('/needs-store').expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ status: 'error', code: 'STORE_UNAVAILABLE' });
    expect(res.body.message).toMatch(/Shared database unreachable/);
  });

  test('a statement that fails on a live connection is not mistaken for an unreachable store', () => {
    expect(isStoreUnavailable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isStoreUnavailable(new Error('duplicate key value violates unique constraint'))).toBe(false);
  });
});
