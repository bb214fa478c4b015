/**
 * The benchmark side of a server process: every server under test runs in its own child
 * process and answers the coordinator over IPC, so its CPU and memory are measured alone.
 *
 * Messages in: `{ id, cmd: 'stats' | 'gc' | 'profile-start' | 'profile-stop' | 'heap-snapshot' | 'exit' }`.
 * Messages out: `{ type: 'ready', url, pid, fdLimit }` once listening, then one
 * `{ type: 'reply', id, ... }` per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { MemoryStore, SqliteStore, type Store } from '../../src/store/index.js';
import { fdLimit } from '../load/limits.js';

/** What a server reports on top of CPU and memory (ours: the hub's counters). */
export type ExtraStats = () => Record<string, number>;

/** CPU and memory of a process, as sent over IPC. */
export interface ProcessStats {
  cpu: NodeJS.CpuUsage;
  mem: NodeJS.MemoryUsage;
  extra?: Record<string, number>;
}

/**
 * Answers the coordinator. `close` runs on `exit` (graceful, e.g. to flush a profile).
 *
 * @example
 * ```ts
 * serveBenchIpc({ url: 'http://127.0.0.1:4000', close: () => server.close() });
 * ```
 */
export function serveBenchIpc(options: {
  url: string;
  extra?: ExtraStats;
  close?: () => Promise<void> | void;
}): void {
  if (!process.send) throw new Error('a bench server runs as a child process with IPC');
  let session: Session | undefined;
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (raw: unknown) => {
    const m = raw as { id: number; cmd: string; file?: string };
    const reply = (body: Record<string, unknown>) => send({ type: 'reply', id: m.id, ...body });
    switch (m.cmd) {
      case 'stats': {
        const stats: ProcessStats = { cpu: process.cpuUsage(), mem: process.memoryUsage() };
        if (options.extra) stats.extra = options.extra();
        reply({ stats });
        return;
      }
      case 'gc':
        // Twice: the first pass may only queue finalizers.
        (globalThis as { gc?: () => void }).gc?.();
        (globalThis as { gc?: () => void }).gc?.();
        reply({ ok: typeof (globalThis as { gc?: unknown }).gc === 'function' });
        return;
      case 'profile-start':
        session = new Session();
        session.connect();
        session.post('Profiler.enable', () =>
          session?.post('Profiler.setSamplingInterval', { interval: 100 }, () =>
            session?.post('Profiler.start', () => reply({ ok: true })),
          ),
        );
        return;
      case 'profile-stop':
        if (!session) return reply({ ok: false });
        session.post('Profiler.stop', (err, result) => {
          if (!err && m.file) writeFileSync(m.file, JSON.stringify(result.profile));
          session?.disconnect();
          session = undefined;
          reply({ ok: !err });
        });
        return;
      case 'heap-snapshot':
        (globalThis as { gc?: () => void }).gc?.();
        reply({ file: writeHeapSnapshot(m.file) });
        return;
      case 'exit':
        void Promise.resolve(options.close?.())
          .catch(() => undefined)
          .finally(() => {
            reply({ ok: true });
            setTimeout(() => process.exit(0), 50);
          });
        return;
    }
  });
  // The coordinator is gone (crashed, killed): do not outlive it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: options.url, pid: process.pid, fdLimit: fdLimit() });
}

/**
 * The store of a server under test: in memory (the fan-out is compared, not the disk), or
 * SQLite in a temporary file with BENCH_STORE=sqlite. `dispose` closes it (and removes the file).
 */
export async function openBenchStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  let dir: string | undefined;
  let store: Store;
  if (process.env.BENCH_STORE === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'prep-bench-'));
    store = new SqliteStore({ filename: join(dir, 'bench.db') });
  } else store = new MemoryStore();
  await store.open();
  return {
    store,
    async dispose() {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
