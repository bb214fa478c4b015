/**
 * Child processes of the benchmark: started as `node --import tsx <file>` under bash with
 * the descriptor limit raised, with an IPC channel; every one is SIGKILLed when this process
 * exits, however it exits.
 *
 * One socket per subscriber needs one descriptor, and a default soft limit (1024 on many
 * systems) would cap a run long before CPU or memory do: `ulimit -n` is raised to 1048576
 * when allowed (root with CAP_SYS_RESOURCE), else to the hard limit. A child reports the
 * limit it got (/proc/self/limits) and the scenarios cap their counts below it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The repository root (children run from there, so `tsx` and paths resolve). */
export const ROOT = join(import.meta.dirname, '..', '..');

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });

/**
 * Spawns `node [nodeArgs] --import tsx <file>` (relative to the repository root).
 *
 * @example
 * ```ts
 * const child = spawnNode('bench/servers/ours.ts', { nodeArgs: ['--expose-gc'] });
 * ```
 */
export function spawnNode(
  file: string,
  options: {
    nodeArgs?: string[];
    env?: Record<string, string>;
    serialization?: 'json' | 'advanced';
  } = {},
): ChildProcess {
  const script =
    'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const child = spawn(
    'bash',
    ['-c', script, 'bash', process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', file],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, ...options.env },
      serialization: options.serialization ?? 'json',
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Spawns a TypeScript program of this repository in Bun or Deno (their binaries from the
 * devDependencies `bun` and `deno`), under bash with the descriptor limit raised and an IPC
 * channel (both speak node's, JSON-serialised).
 */
export function spawnRuntime(
  runtime: 'bun' | 'deno',
  file: string,
  options: { env?: Record<string, string> } = {},
): ChildProcess {
  const script =
    'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const bin = join(ROOT, 'node_modules', '.bin', runtime);
  const args = runtime === 'bun' ? [file] : ['run', '--allow-all', '--sloppy-imports', file];
  const child = spawn('bash', ['-c', script, 'bash', bin, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env },
    serialization: 'json',
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (also done on exit). */
export function killChildren(): void {
  killAll();
}
