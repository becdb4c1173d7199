/**
 * A throwaway PostgreSQL server for one test file: initdb into a temp dir, pg_ctl start on a free
 * port (127.0.0.1, and one more address if asked; its unix socket inside the temp dir), one database, and stop() that kills
 * the server and removes every file. Durability is switched off (fsync, full_page_writes,
 * synchronous_commit): the data dies with the test, and a cluster starts in about 3 s.
 *
 * Debian's `postgresql` package (PG 15) provides the binaries; `.ci/run` installs it. initdb refuses
 * to run as root, so as root every command runs as the `postgres` user (runuser).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE (trust authentication, no password). */
  url: string;
  port: number;
  /** Creates another empty database on the same server (for tests that want a clean schema). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Where else the server listens: a test whose node runs in another network namespace gives the
 * host side of a veth link, and the network its clients come from (trusted, as 127.0.0.1 is).
 */
export interface PostgresListenOptions {
  also?: { address: string; clientNetwork: string };
}

export function postgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN, 'initdb'));
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function pgCommand(binary: string, args: string[]): [string, string[]] {
  const path = join(POSTGRES_BIN, binary);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A test file that crashes before its afterAll must not leave a server running. */
function stopAtExit(dataDir: string): () => void {
  const onExit = () => {
    try {
      const [cmd, args] = pgCommand('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
      execFileSync(cmd, args, { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return () => process.off('exit', onExit);
}

export async function startPostgresCluster(database = 'gateway', listen: PostgresListenOptions = {}): Promise<PostgresCluster> {
  if (!postgresAvailable()) throw new Error(`PostgreSQL binaries not found in ${POSTGRES_BIN} (apt-get install -y postgresql)`);
  const root = mkdtempSync(join(tmpdir(), 'pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  mkdirSync(socketDir);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  const stopServer = () => {
    const [cmd, args] = pgCommand('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    return run(cmd, args).catch(() => undefined);
  };
  let forgetAtExit: (() => void) | undefined;
  try {
    const [initCmd, initArgs] = pgCommand('initdb', [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    await run(initCmd, initArgs);
    if (listen.also) appendFileSync(join(dataDir, 'pg_hba.conf'), `host all all ${listen.also.clientNetwork} trust\n`);
    const addresses = ['127.0.0.1', ...(listen.also ? [listen.also.address] : [])].join(',');
    const port = await startOnFreePort(dataDir, socketDir, join(root, 'server.log'), addresses);
    forgetAtExit = stopAtExit(dataDir);
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const createDatabase = async (name: string): Promise<string> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    };
    const url = await createDatabase(database);
    let stopped = false;
    return {
      url,
      port,
      createDatabase,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopServer();
        forgetAtExit?.();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (forgetAtExit) {
      await stopServer();
      forgetAtExit();
    }
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

/** Another process may take the port between our probe and the server's bind: try a few. */
async function startOnFreePort(dataDir: string, socketDir: string, logFile: string, addresses: string): Promise<number> {
  const conf = join(dataDir, 'postgresql.auto.conf');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    appendFileSync(
      conf,
      [
        `port = ${port}`,
        `listen_addresses = '${addresses}'`,
        `unix_socket_directories = '${socketDir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 50',
        'shared_buffers = 16MB',
        'log_min_messages = warning',
        '',
      ].join('\n'),
    );
    const [cmd, args] = pgCommand('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
    try {
      await run(cmd, args);
      return port;
    } catch (err) {
      if (attempt >= 3) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        throw new Error(`pg_ctl start failed: ${(err as Error).message}\n${log}`, { cause: err });
      }
    }
  }
}
