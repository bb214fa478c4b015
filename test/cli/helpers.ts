/**
 * Helpers of the `prep watch` tests: our server on port 0 over a fresh store, the CLI as a
 * child process (bundled once with esbuild, so each run starts as fast as plain node; or
 * through tsx, as `node --import tsx src/cli/watch-main.ts` runs it), and plain writes.
 * Everything a helper starts is stopped when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import { startTestServer } from '../helpers/server.js';
import { spawnNode, within as withinMs, type Child } from '../helpers/child.js';

const root = join(import.meta.dirname, '..', '..');
export const WATCH_MAIN = join(root, 'src', 'cli', 'watch-main.ts');

/** How long a helper waits before failing the test (a hang guard, not a timing assertion). */
export const WAIT_MS = 30_000;

let bundled: Promise<string> | undefined;
/** src/cli/watch-main.ts bundled for node; built once per test file. */
export function watchBinary(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'prep-watch-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'watch.mjs');
    await build({
      entryPoints: [WATCH_MAIN],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
      // The workspace packages from their sources, as the tests run them.
      conditions: ['prep-live-source'],
    });
    return outfile;
  })();
  return bundled;
}

export type Watch = Child;

/**
 * Runs `prep watch ...args` as a child process; `tsx: true` runs the TypeScript entry point
 * through tsx instead of the bundle. Colour is off unless `env` turns it on.
 */
export async function runWatch(
  t: TestContext,
  args: string[],
  options: { env?: Record<string, string>; tsx?: boolean } = {},
): Promise<Watch> {
  const entry = options.tsx ? ['--import', 'tsx', WATCH_MAIN] : [await watchBinary()];
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (options.env?.FORCE_COLOR === undefined) delete env.FORCE_COLOR;
  if (options.env?.NO_COLOR === undefined) delete env.NO_COLOR;
  return spawnNode(t, [...entry, ...args], { cwd: root, env, waitMs: WAIT_MS });
}

/** Our server on 127.0.0.1:0 over a fresh in-memory store; stopped when the test ends. */
export async function startWatchServer(
  t: TestContext,
  options: Omit<ServerOptions, 'store' | 'port' | 'host'> = {},
): Promise<RunningServer> {
  return (await startTestServer(t, options)).running;
}

export { startPlainServer } from '../helpers/plain-server.js';

/**
 * A server that answers each connection's first request with recorded bytes, written as
 * they are (head and body, chunked or not), then ends the connection: a recorded server
 * played back. `answer` gets the request head. Closed when the test ends.
 */
export async function startRawServer(
  t: TestContext,
  answer: (head: string) => Uint8Array,
): Promise<{ url: string; heads: string[] }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      heads.push(head.slice(0, end));
      socket.end(answer(head.slice(0, end)));
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, heads };
}

/** A port nobody listens on right now. */
export async function unusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}

/** One write; resolves with the status (and throws on a network error). */
export async function send(
  method: string,
  url: string,
  body?: unknown,
  type = 'application/json',
): Promise<number> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': type };
  }
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

/** Resolves `promise`, or rejects after `ms` (default WAIT_MS) saying what was awaited. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return withinMs(promise, what, ms);
}

/** Polls `check` until it returns something other than undefined/false. */
export async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  ms = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
