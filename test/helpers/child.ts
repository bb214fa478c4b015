/**
 * A child process for tests (the `prep` CLI, a server node): its output collected, a wait for
 * a line on stdout, and a kill when the test ends. Waits are hang guards, not timing checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

export interface Child {
  child: ChildProcess;
  /** Signals the process (or its whole group, when started with `group`). */
  kill(signal: NodeJS.Signals): void;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` on stdout; fails if the process ends first. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited and its output is read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The exit, or a failure after `ms`. */
  exit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node ...argv`; SIGKILLed when the test ends if still running. */
export function spawnNode(
  t: TestContext,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; waitMs: number },
): Child {
  return spawnCommand(t, process.execPath, argv, options);
}

/**
 * Runs `command ...argv` (`bash -c script`); SIGKILLed when the test ends if still running.
 * With `group`, it leads a process group of its own and `kill` signals the whole group (a
 * shell and the commands it started).
 */
export function spawnCommand(
  t: TestContext,
  command: string,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; waitMs: number; group?: boolean },
): Child {
  const child = spawn(command, argv, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env,
    detached: options.group === true,
  });
  const kill = (signal: NodeJS.Signals): void => {
    if (options.group === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    } else child.kill(signal);
  };
  const label = argv.slice(-3).join(' ');
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      kill('SIGKILL');
      await exited;
    } else if (options.group === true) kill('SIGKILL');
  });
  return {
    child,
    kill,
    stdout: () => out,
    stderr: () => err,
    exited,
    exit: (ms = options.waitMs) =>
      within(exited, `${label} to exit (stdout: ${out}; stderr: ${err})`, ms),
    waitFor(pattern, ms = options.waitMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = pattern.exec(out);
          if (!m) return false;
          cleanup();
          resolve(m);
          return true;
        };
        const onExit = (): void => {
          if (check()) return;
          cleanup();
          reject(new Error(`${label} exited before ${pattern}: ${out}${err}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${ms} ms: ${out}${err}`));
        }, ms);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.off('close', onExit);
        };
        if (check()) return;
        child.stdout.on('data', check);
        child.once('close', onExit);
      });
    },
  };
}

/** Resolves `promise`, or rejects after `ms` saying what was awaited. */
export async function within<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
