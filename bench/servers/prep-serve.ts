/**
 * `prep serve` started as users start it (bin/prep.js, under bash with the descriptor limit
 * raised where allowed), on a free loopback port, with the subscription limits raised and
 * `--write-rate off` (the benchmark decides the load, not the limits of a public server).
 * Used by the `cluster` and `workers` groups; the process tree (a `--workers` primary and its
 * children) is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childPids, processCpuUs } from '../load/proc.js';
import { ROOT } from '../load/processes.js';

/** A running `prep serve`. */
export interface PrepServe {
  url: string;
  /** The process started: the only one, or the `--workers` primary. */
  pid: number;
  /** That process and its children (the workers), as they are now. */
  processes: () => number[];
  /** User + system CPU of {@link processes}, µs. */
  cpuUs: () => number;
  /** What it wrote on stderr so far (a worker's restart is logged there). */
  stderr: () => string;
  /** SIGKILL (SIGTERM when profiled, so that the profiles are written); resolves once gone. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * `--write-rate off` when this checkout's `prep serve` has the flag (SEC-2 write limits).
 */
function writeRateOff(): string[] {
  const source = readFileSync(join(ROOT, 'src', 'cli', 'serve.ts'), 'utf8');
  return source.includes("'write-rate'") ? ['--write-rate', 'off'] : [];
}

/**
 * Starts `prep serve --port 0 --host 127.0.0.1 --quiet <store> <extra>`; resolves once it
 * says where it listens.
 *
 * @example
 * ```ts
 * const s = await startPrepServe(['--data', '/tmp/x.db'], ['--workers', '2']);
 * // ... s.url, s.cpuUs()
 * await s.stop();
 * ```
 */
export async function startPrepServe(store: string[], extra: string[] = []): Promise<PrepServe> {
  const script =
    'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const args = [
    'bin/prep.js',
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--quiet',
    '--max-subscriptions',
    '10000000',
    '--max-subscriptions-per-client',
    '10000000',
    '--max-subscriptions-per-resource',
    '10000000',
    ...writeRateOff(),
    ...extra,
    ...store,
  ];
  // Experiment knob: node flags for the servers, e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'
  // (a --workers primary passes its flags on to its workers).
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn('/bin/bash', ['-c', script, 'bash', process.execPath, ...nodeArgs, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own session, as when a user starts it from a terminal or a service manager: with
    // the kernel's autogroup scheduling (sched_autogroup_enabled) a busy machine shares CPU
    // between sessions first, so in the load generator's session the server would compete
    // with its own load for one share (measured here: two busy processes in one session got
    // 0.37 cores, in two sessions 0.57-0.72).
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prep serve did not start: ${err}`)), 120_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prep serve exited (${code}): ${err.trim().split('\n').at(-1) ?? ''}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  // bash execs node, so the pid is the server's own.
  const pid = child.pid!;
  const processes = () => [pid, ...childPids(pid)];
  return {
    url,
    pid,
    processes,
    cpuUs: () => processes().reduce((s, p) => s + processCpuUs(p), 0),
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      // The workers are killed with their primary: a SIGKILLed primary cannot stop them.
      const workers = childPids(pid);
      if (nodeArgs.length > 0) child.kill('SIGTERM');
      else {
        child.kill('SIGKILL');
        for (const w of workers) killQuietly(w);
      }
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        for (const w of workers) killQuietly(w);
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
