// A throwaway PostgreSQL cluster for tests: initdb into a fresh temp dir, start it on a free
// loopback port, hand out fresh databases, remove everything on stop. Tests that need it
// skip (outside CI) when the binaries are missing; in CI (CI=true) they are required.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';

const run = promisify(execFile);

/** The message a test skips with when PostgreSQL is not installed. */
export const POSTGRES_MISSING = 'PostgreSQL is not installed: sudo apt-get install -y postgresql';

/**
 * A running throwaway cluster.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * if ('skip' in pg) return;
 * const url = await pg.createDatabase();
 * await pg.stop();
 * ```
 */
export interface TestPostgres {
  /** A database created with the cluster (`postgres://postgres@127.0.0.1:PORT/prep`). */
  url: string;
  /** Creates a new, empty database and returns its URL, so each test gets its own. */
  createDatabase(): Promise<string>;
  /**
   * Stops the server (fast shutdown: sessions are terminated), runs `whileDown` if given,
   * then starts it again on the same port and data directory.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Stops the server and removes the cluster's directory. Calling it twice is harmless. */
  stop(): Promise<void>;
}

/** Where the PostgreSQL binaries are: the same lookup `npm test`'s setup step uses. */
async function findPostgresBin(): Promise<string | undefined> {
  // A plain .mjs without types: import it by a computed specifier and type what it exports.
  const setup = '../../scripts/setup-system.mjs';
  const setupModule = (await import(setup)) as { findPostgresBin: () => string | undefined };
  return setupModule.findPostgresBin();
}

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The uid and gid of the `postgres` system user, or undefined. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (line === undefined) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

const clusters = new Set<() => void>();
// A test file that crashes or forgets stop() must not leave a postmaster behind.
process.once('exit', () => {
  for (const kill of clusters) kill();
});

/**
 * Starts a throwaway PostgreSQL cluster, or says why it cannot: `{ skip }` outside CI when the
 * binaries (or, as root, the `postgres` user) are missing. In CI (`CI=true`) a missing
 * PostgreSQL throws instead, because the tests that need it are required there.
 *
 * initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * after(() => ('skip' in pg ? undefined : pg.stop()));
 * test('x', { skip: 'skip' in pg ? pg.skip : false }, async () => {});
 * ```
 */
export async function startPostgres(): Promise<TestPostgres | { skip: string }> {
  const bin = await findPostgresBin();
  const isRoot = process.getuid?.() === 0;
  const owner = isRoot ? postgresUser() : undefined;
  const missing =
    bin === undefined
      ? POSTGRES_MISSING
      : isRoot && owner === undefined
        ? 'PostgreSQL cannot run as root and there is no postgres user: sudo apt-get install -y postgresql'
        : undefined;
  if (missing !== undefined || bin === undefined) {
    if (process.env.CI === 'true')
      throw new Error(`${missing ?? POSTGRES_MISSING} (required in CI)`);
    return { skip: missing ?? POSTGRES_MISSING };
  }

  const dir = mkdtempSync(join(tmpdir(), 'prep-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  // As root, run the tools as the postgres user; cwd is a directory that user may enter.
  const tool = (name: string, args: string[]) =>
    isRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args], { cwd: dir })
      : run(join(bin, name), args, { cwd: dir });
  const toolSync = (name: string, args: string[]) =>
    isRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, name), ...args], {
          cwd: dir,
          stdio: 'ignore',
        })
      : execFileSync(join(bin, name), args, { cwd: dir, stdio: 'ignore' });

  const cleanup = (): void => {
    try {
      toolSync('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  clusters.add(cleanup);
  let port = 0;
  const serverOptions = () =>
    [
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
      // Durability is not what these tests are about; speed is.
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
      '-c wal_level=minimal -c max_wal_senders=0',
    ].join(' ');
  const start = async (): Promise<void> => {
    const args = ['-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions(), 'start'];
    try {
      await tool('pg_ctl', args);
    } catch (e) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3) : [];
      throw new Error(`pg_ctl start failed: ${[(e as Error).message, ...tail].join('\n')}`, {
        cause: e,
      });
    }
  };

  try {
    const initdb = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'];
    await tool('initdb', [...initdb, '--no-sync']);
    // Another process may take the port between freePort() and the server binding it.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  } catch (e) {
    cleanup();
    clusters.delete(cleanup);
    throw e;
  }

  const base = `postgres://postgres@127.0.0.1:${port}`;
  const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {}, fetch_types: false });
  const [version] = await admin<{ v: number }[]>`
    SELECT current_setting('server_version_num')::int AS v`;
  // FILE_COPY (PostgreSQL 15+) copies template1's files: faster than WAL-logging each block.
  const strategy = (version?.v ?? 0) >= 150000 ? ' STRATEGY = FILE_COPY' : '';
  let counter = 0;
  const create = async (): Promise<string> => {
    const name = `prep_${++counter}`;
    await admin.unsafe(`CREATE DATABASE ${name}${strategy}`);
    return `${base}/${name}`;
  };
  // One database is made ahead, while the test that asked for the last one runs.
  let spare = create();
  spare.catch(() => {});
  const createDatabase = (): Promise<string> => {
    const next = spare;
    spare = next.then(create, create);
    spare.catch(() => {});
    return next;
  };
  const url = await createDatabase();

  let stopped = false;
  return {
    url,
    createDatabase,
    async restart(whileDown) {
      await spare.catch(() => {}); // not in the middle of CREATE DATABASE
      await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      try {
        await whileDown?.();
      } finally {
        await start();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await spare.catch(() => {});
      await admin.end({ timeout: 0 });
      try {
        await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        clusters.delete(cleanup);
      }
    },
  };
}
