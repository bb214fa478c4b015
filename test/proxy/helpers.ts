/**
 * Helpers of the `prep proxy` tests: json-server (the npm package, an upstream nobody here
 * wrote) started as a child process on loopback over a db.json the test writes, our proxy
 * in front of it over a SQLite log in a temp directory, and plain HTTP exchanges read as
 * node's parser saw them. Everything a helper starts is stopped when the test ends.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  startProxy,
  type ProxyListenerOptions,
  type RunningProxy,
} from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { spawnNode, type Child } from '../helpers/child.js';

export const root = join(import.meta.dirname, '..', '..');
const JSON_SERVER = join(root, 'node_modules', 'json-server', 'lib', 'cli', 'bin.js');

/** How long a helper waits before failing the test (a hang guard, not a timing check). */
export const WAIT_MS = 20_000;

/** A fresh directory, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'prep-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port free right now on 127.0.0.1 (for a child that cannot be told to pick one). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The db.json of the walk-through: a few posts and comments. */
export function sampleDb(): Record<string, unknown> {
  return {
    posts: [
      { id: 1, title: 'json-server', author: 'typicode' },
      { id: 2, title: 'live resources', author: 'prep' },
    ],
    comments: [{ id: 1, body: 'some comment', postId: 1 }],
    profile: { name: 'typicode' },
  };
}

export interface JsonServer {
  /** `http://127.0.0.1:port` */
  url: string;
  port: number;
  child: Child;
}

/**
 * json-server 0.17 (`json-server db.json --port N`) on 127.0.0.1 over a db.json holding `db`,
 * in a temp directory; killed when the test ends.
 */
export async function startJsonServer(
  t: TestContext,
  db: Record<string, unknown> = sampleDb(),
): Promise<JsonServer> {
  const dir = tempDir(t);
  const file = join(dir, 'db.json');
  writeFileSync(file, JSON.stringify(db, null, 2));
  // json-server cannot pick a port itself (it prints the one it was given): another process
  // may take the free one first, so try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawnNode(t, [JSON_SERVER, file, '--port', String(port), '--host', '127.0.0.1'], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'test' },
      waitMs: WAIT_MS,
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await child.waitFor(/Resources/);
      await waitUntil(async () => (await fetch(`${url}/db`)).ok, 'json-server to answer');
      return { url, port, child };
    } catch (e) {
      child.child.kill('SIGKILL');
      if (attempt >= 3)
        throw new Error(`json-server did not start: ${child.stderr()}`, { cause: e });
    }
  }
}

/** Polls `check` until it holds (a hang guard of `WAIT_MS`, not a timing assertion). */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TestProxy extends RunningProxy {
  store: SqliteStore;
  /** The SQLite log (kept across `restart`). */
  filename: string;
  /** Stops this proxy (streams closed, store closed) and starts another on the same log. */
  restart(more?: Partial<ProxyListenerOptions>): Promise<TestProxy>;
}

/** `prep proxy` in front of `upstream`, on 127.0.0.1:0 over a SQLite log; stopped when the test ends. */
export async function startTestProxy(
  t: TestContext,
  options: Partial<ProxyListenerOptions> & { upstream: string },
  filename = join(tempDir(t), 'proxy.db'),
): Promise<TestProxy> {
  const store = new SqliteStore({ filename });
  await store.open();
  const errors: string[] = [];
  const running = await startProxy({
    onError: (line) => errors.push(line),
    ...options,
    store,
    port: 0,
    host: '127.0.0.1',
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await running.close();
    running.server.closeAllConnections();
    await store.close();
  };
  t.after(stop);
  return {
    ...running,
    store,
    filename,
    async close() {
      await stop();
    },
    async restart(more = {}) {
      await stop();
      return startTestProxy(t, { ...options, ...more }, filename);
    },
  };
}

/** A response as node's HTTP parser read it: status line, fields in order and spelling, body. */
export interface Exchange {
  status: number;
  statusMessage: string;
  /** `rawHeaders`, as pairs. */
  fields: Array<[string, string]>;
  body: Buffer;
}

/**
 * Sends one request on a fresh connection, with exactly `fields` (no Host is added), and
 * reads the answer whole.
 */
export function exchange(
  url: string,
  request: {
    method: string;
    path: string;
    fields: ReadonlyArray<readonly [string, string]>;
    body?: string | Buffer;
  },
): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname,
      port,
      method: request.method,
      path: request.path,
      headers: request.fields.flatMap(([n, v]) => [n, v]) as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent: false,
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        const fields: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          fields.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          fields,
          body: Buffer.concat(chunks),
        });
      });
    });
    req.end(request.body);
  });
}

/** A JSON request through fetch, its body read. */
export async function send(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** `Accept-Events` asking for merge-patch deltas (N822-8). */
export const MERGE_PATCH_EVENTS =
  '"prep";accept="message/rfc822;delta=\\"application/merge-patch+json\\""';
