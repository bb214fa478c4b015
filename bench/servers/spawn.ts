/**
 * Starts a server under test in its own child process (see child.ts; started by
 * ../load/processes.ts with `ulimit -n` raised) and talks to it over IPC.
 */
import { spawnNode, spawnRuntime } from '../load/processes.js';
import type { ProcessStats } from './child.js';

/** The servers compared, in table order. */
export const SERVERS = ['ours', 'proxy', 'express-prep', 'naive', 'net-floor'] as const;
/**
 * The `fetch` group (bench/scenarios/fetch.ts): the same app with `createPrep`, on node's
 * `prepListener` and through the fetch handler on node, Bun and Deno.
 */
export const FETCH_SERVERS = ['embed-node', 'fetch-node', 'fetch-bun', 'fetch-deno'] as const;
/** One of the servers of the main table. */
export type ComparedKind = (typeof SERVERS)[number];
export type ServerKind = ComparedKind | (typeof FETCH_SERVERS)[number];

const FILES: Record<ServerKind, string> = {
  ours: 'bench/servers/ours.ts',
  proxy: 'bench/servers/proxy.ts',
  'express-prep': 'bench/servers/express-prep.ts',
  naive: 'bench/servers/naive.ts',
  'net-floor': 'bench/servers/net-floor.ts',
  'embed-node': 'bench/servers/embed-node.ts',
  'fetch-node': 'bench/servers/fetch-node.ts',
  'fetch-bun': 'bench/servers/fetch-bun.ts',
  'fetch-deno': 'bench/servers/fetch-deno.ts',
};

/** The runtime of each server other than node. */
const RUNTIMES: Partial<Record<ServerKind, 'bun' | 'deno'>> = {
  'fetch-bun': 'bun',
  'fetch-deno': 'deno',
};

/** A running server under test. */
export interface ServerHandle {
  kind: ServerKind;
  url: string;
  pid: number;
  /** The descriptor limit the server runs with (undefined when unknown). */
  fdLimit: number | undefined;
  stats(): Promise<ProcessStats>;
  /** Runs a full GC twice (the server is started with --expose-gc). */
  gc(): Promise<void>;
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  /** Writes a V8 heap snapshot (after a GC) to `file`. */
  heapSnapshot(file: string): Promise<void>;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** SIGKILL (the default) or a graceful exit over IPC; resolves once the process is gone. */
  stop(graceful?: boolean): Promise<void>;
}

/** Starts one server; rejects if it does not report ready within `timeoutMs`. */
export async function startServerProcess(
  kind: ServerKind,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerHandle> {
  const runtime = RUNTIMES[kind];
  const child = runtime
    ? spawnRuntime(runtime, FILES[kind], options.env ? { env: options.env } : {})
    : spawnNode(FILES[kind], {
        nodeArgs: ['--expose-gc'],
        ...(options.env ? { env: options.env } : {}),
      });
  let nextId = 1;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ url: string; pid: number; fdLimit?: number }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${kind} server did not start within ${options.timeoutMs ?? 30_000} ms`),
          ),
        options.timeoutMs ?? 30_000,
      );
      child.on('message', (raw) => {
        const m = raw as Record<string, unknown>;
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m as unknown as { url: string; pid: number; fdLimit?: number });
        } else if (m.type === 'reply') {
          const done = waiting.get(m.id as number);
          waiting.delete(m.id as number);
          done?.(m);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${kind} server exited (${code ?? signal}) before it was ready`));
        for (const done of waiting.values()) done({ error: 'exited' });
        waiting.clear();
      });
    },
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const ask = (cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
        reject(new Error(`${kind} server is not running`));
        return;
      }
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${kind} server did not answer ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        if (typeof m.error === 'string') reject(new Error(`${kind} server: ${m.error}`));
        else resolve(m);
      });
      child.send({ id, cmd, ...extra });
    });
  return {
    kind,
    url: ready.url,
    pid: ready.pid,
    fdLimit: ready.fdLimit,
    async stats() {
      return (await ask('stats')).stats as ProcessStats;
    },
    async gc() {
      await ask('gc');
    },
    async profileStart() {
      await ask('profile-start');
    },
    async profileStop(file: string) {
      await ask('profile-stop', { file }, 120_000);
    },
    async heapSnapshot(file: string) {
      await ask('heap-snapshot', { file }, 300_000);
    },
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop(graceful = false) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (graceful) {
        await ask('exit', {}, 15_000).catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      } else {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
