/**
 * Helpers of the fault and attack tests (issue #10): servers as child processes (so one can
 * be SIGKILLed like a crashed machine, or measured with `--expose-gc` apart from the client
 * load), a seeded random source, and small waiting helpers. Every child a helper starts is
 * killed when the test process exits, and each test kills its own in a `finally`.
 *
 * The children run a bundle of the TypeScript entry point made once per test file with
 * esbuild (as test/cli/helpers.ts does for `prep watch`): the same source as `bin/prep.js`
 * runs through tsx, but it starts in a fraction of the time, which is what lets twenty
 * crash-and-restart cycles fit the time budget. better-sqlite3 (a native addon) stays an
 * external import of the checkout's node_modules.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { boundaryOf, readPrepBody, type PrepBody } from '../helpers/prep-body.js';
import { within } from '../helpers/wait.js';
import { random } from '../helpers/random.js';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The `prep` command line's entry point (what `bin/prep.js` runs). */
export const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');
/** The measured server of the flood and leak tests (see stats-server.ts). */
export const STATS_SERVER = join(import.meta.dirname, 'stats-server.ts');

/** How long a child may take to start listening (a hang guard, not a timing assertion). */
export const START_MS = 30_000;

const children = new Set<ChildProcess>();
let bundleDir: string | undefined;
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

const bundles = new Map<string, Promise<string>>();

/** `entry` bundled for node (ESM), once per test process; resolves with the bundle's path. */
export function bundle(entry: string): Promise<string> {
  let built = bundles.get(entry);
  if (!built) {
    built = (async () => {
      const { build } = await import('esbuild');
      bundleDir ??= mkdtempSync(join(tmpdir(), 'prep-reliability-'));
      const outfile = join(bundleDir, `${basename(entry, '.ts')}.mjs`);
      const require = createRequire(join(ROOT, 'package.json'));
      // Not bundled: the native SQLite addon, and esbuild (the web page's bundler, which a
      // bundled `prep serve` does not reach: it finds no page sources beside the bundle).
      const external = new Map(
        ['better-sqlite3', 'esbuild'].map((name) => [name, require.resolve(name)]),
      );
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile,
        logLevel: 'silent',
        // The workspace packages from their sources, as the tests run them.
        conditions: ['prep-live-source'],
        // CommonJS dependencies (prom-client, pino) require node's built-ins: give the ESM
        // bundle a `require` to do it with.
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
        plugins: [
          {
            name: 'external-by-path',
            setup(b) {
              b.onResolve({ filter: /^(better-sqlite3|esbuild)$/ }, (args) => ({
                path: external.get(args.path)!,
                external: true,
              }));
            },
          },
        ],
      });
      return outfile;
    })();
    bundles.set(entry, built);
  }
  return built;
}

/** A running child server. */
export interface ChildServer {
  url: string;
  port: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGKILL, and waits for the exit (harmless when it has exited). */
  kill(): Promise<void>;
}

/**
 * Spawns `node [execArgv] <bundle of entry> ...args` and waits for it to print
 * `listening on http://127.0.0.1:PORT`.
 */
export async function startChild(
  entry: string,
  args: string[],
  options: { execArgv?: string[]; ipc?: boolean } = {},
): Promise<ChildServer> {
  const file = await bundle(entry);
  const env: Record<string, string | undefined> = { ...process.env };
  // The flags alone decide: none of the environment's defaults leak in.
  for (const name of ['PORT', 'HOST', 'PREP_DATA', 'PREP_DATABASE_URL']) delete env[name];
  const child = spawn(process.execPath, [...(options.execArgv ?? []), file, ...args], {
    cwd: ROOT,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    env,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${basename(entry)} exited (${code ?? signal}) before listening: ${err}`)),
    );
  });
  let url: string;
  try {
    url = await within(listening, `${basename(entry)} to listen`, START_MS);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stdout: () => out,
    stderr: () => err,
    alive,
    async kill() {
      if (!alive()) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await within(exited, 'the child to exit');
    },
  };
}

/** `prep serve --port 0 --host 127.0.0.1 --quiet ...args` as a child process. */
export function startServe(args: string[]): Promise<ChildServer> {
  return startChild(CLI_MAIN, ['serve', '--port', '0', '--host', '127.0.0.1', '--quiet', ...args]);
}

/** What stats-server.ts reports about itself (after three forced garbage collections). */
export interface ServerStats {
  subscriptions: number;
  channels: number;
  slowClosed: number;
  /** Open connections of the listener (`server.getConnections`). */
  connections: number;
  /** `process._getActiveHandles().length`: sockets, the listener, timers with a handle. */
  handles: number;
  heapUsed: number;
  rss: number;
  external: number;
  /** CPU time the server process has used (user and system), in ms. */
  cpuMs: number;
}

/** The measured server (stats-server.ts) as a child with `--expose-gc`. */
export interface StatsServer extends ChildServer {
  stats(): Promise<ServerStats>;
}

/** Starts stats-server.ts with the given `startServer` options (JSON-serialisable ones). */
export async function startStatsServer(options: Record<string, unknown>): Promise<StatsServer> {
  const server = await startChild(STATS_SERVER, [JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    ipc: true,
  });
  let next = 0;
  return {
    ...server,
    stats() {
      const id = ++next;
      const reply = new Promise<ServerStats>((resolve, reject) => {
        const onMessage = (m: { id?: number; stats?: ServerStats }) => {
          if (m.id !== id || !m.stats) return;
          server.child.off('message', onMessage);
          server.child.off('exit', onExit);
          resolve(m.stats);
        };
        const onExit = () => reject(new Error(`the server exited: ${server.stderr()}`));
        server.child.on('message', onMessage);
        server.child.once('exit', onExit);
      });
      server.child.send({ id, type: 'stats' });
      return within(reply, 'the server stats');
    },
  };
}

export { random };

/** The seed of a run: `PREP_SEED` when set (to replay a failure), else a fresh one. */
export function seedOf(): number {
  const fromEnv = Number(process.env.PREP_SEED);
  return Number.isInteger(fromEnv) && process.env.PREP_SEED !== ''
    ? fromEnv
    : Math.floor(Math.random() * 2 ** 31);
}

export const MB = 1024 * 1024;

/**
 * A raw HTTP/1.1 connection kept as lean as can be (thousands are open at once, or a stream
 * of 10 000 notifications is read while memory is measured): the data events are kept as
 * they came, no copy and no parsing, and decoded only when asked.
 */
export class RawConnection {
  readonly data: Buffer[] = [];
  /** The server closed the connection (or it failed). */
  ended = false;
  error: Error | undefined;
  #length = 0;
  #waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.data.push(b);
      this.#length += b.length;
      for (const w of [...this.#waiters]) w();
    });
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => {
      this.ended = true;
      for (const w of [...this.#waiters]) w();
    });
  }

  /** Connects to 127.0.0.1:`port` (from `localAddress`, another loopback address, if given). */
  static async open(port: number, localAddress?: string): Promise<RawConnection> {
    const socket = connect({
      port,
      host: '127.0.0.1',
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
    });
    const c = new RawConnection(socket);
    await within(once(socket, 'connect'), 'a connection');
    return c;
  }

  /** Bytes received so far. */
  get length(): number {
    return this.#length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.data, this.#length);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }

  /** The response head, once it arrived: status and header fields (names in lower case). */
  head(): { status: number; headers: Map<string, string>; length: number } | undefined {
    const all = this.bytes();
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = all.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    return {
      status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!)?.[1]),
      headers,
      length: end + 4,
    };
  }

  /** Whether a whole response with a Content-Length body (or none) has arrived. */
  complete(): boolean {
    const h = this.head();
    if (!h) return false;
    if (h.headers.get('transfer-encoding') === 'chunked') return false;
    return this.#length >= h.length + Number(h.headers.get('content-length') ?? 0);
  }

  /** The body of a chunked response so far (whole chunks), read strictly as a PREP body. */
  prep(): PrepBody {
    const all = this.bytes();
    const h = this.head();
    assert.ok(h, 'a response head');
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('transfer-encoding'), 'chunked');
    const chunks: Buffer[] = [];
    let at = h.length;
    for (;;) {
      const lineEnd = all.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = parseInt(all.subarray(at, lineEnd).toString('latin1'), 16);
      assert.ok(Number.isInteger(size), `a chunk size at ${at}`);
      if (size === 0 || lineEnd + 2 + size + 2 > all.length) break;
      chunks.push(all.subarray(lineEnd + 2, lineEnd + 2 + size));
      assert.equal(all.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString(), '\r\n');
      at = lineEnd + 4 + size;
    }
    return readPrepBody(Buffer.concat(chunks), boundaryOf(h.headers.get('content-type')));
  }

  /** Resolves once `check` holds (checked at every data event and at close). */
  waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
    return within(
      new Promise<void>((resolve) => {
        const run = () => {
          if (!check() && !this.ended) return;
          this.#waiters.delete(run);
          resolve();
        };
        this.#waiters.add(run);
        run();
      }),
      what,
      ms,
    ).then(() => {
      if (!check())
        throw new Error(`the connection closed before ${what}: ${this.text().slice(0, 300)}`);
    });
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
