/**
 * The throwaway PostgreSQL used by the store tests: reachable on 127.0.0.1 only, at a random port,
 * its socket and data inside its own temp dir, durability off; stop() leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startPostgresCluster } from '../support/postgres-cluster.js';

test('starts a private server with its database, and stop() removes it entirely', async () => {
  const cluster = await startPostgresCluster('probe');
  let dataDir: string | undefined;
  try {
    expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/probe`);
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    const setting = async (name: string) => (await client.query(`select current_setting('${name}') as v`)).rows[0].v as string;
    expect(await setting('listen_addresses')).toBe('127.0.0.1');
    expect(await setting('fsync')).toBe('off');
    expect(await setting('server_version_num')).toMatch(/^1[5-9]/);
    dataDir = await setting('data_directory');
    expect((await setting('unix_socket_directories')).startsWith(dataDir.replace(/\/data$/, ''))).toBe(true);
    expect((await client.query('select current_database() as db')).rows[0].db).toBe('probe');
    await client.end();
    expect(existsSync(dataDir)).toBe(true);
  } finally {
    await cluster.stop();
  }
  expect(dataDir && existsSync(dataDir)).toBe(false);
  const late = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2_000 });
  await expect(late.connect()).rejects.toThrow();
}, 60_000);
