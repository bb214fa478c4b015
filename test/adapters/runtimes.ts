/**
 * The JavaScript runtimes the fetch handler is tested in: node (through tsx), and Bun and
 * Deno from their npm packages (devDependencies `bun` and `deno`, whose binaries come in
 * the registry packages and are linked into node_modules/.bin by their install scripts).
 * A runtime whose binary does not run here is skipped with a one-line reason, except in CI
 * (`CI=true`), where every runtime is required.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { within } from '../helpers/wait.js';

export type Runtime = 'node' | 'bun' | 'deno';

/**
 * The workspace packages (`@prep-live/client`) from their sources, as node's test runner
 * resolves them (see package.json `exports`): not a `dist/` an earlier build left behind.
 */
export const SOURCE_CONDITION = '--conditions=prep-live-source';

const root = join(import.meta.dirname, '..', '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

/** A runtime's binary, or why it cannot run here. */
export function runtimeBinary(runtime: 'bun' | 'deno'): { file: string; skip: string | false } {
  const file = bin(runtime);
  const r = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return { file, skip: false };
  const why = `${runtime} does not run here (${r.error?.message ?? r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}): npm install (devDependency ${runtime}, with its install script)`;
  if (process.env.CI === 'true') throw new Error(`${why}; required in CI`);
  return { file, skip: why };
}

/** The command that runs a TypeScript program of this repository in `runtime`. */
export function runtimeCommand(
  runtime: Runtime,
  program: string,
): { file: string; args: string[]; skip: string | false } {
  if (runtime === 'node')
    return { file: process.execPath, args: ['--import', 'tsx', program], skip: false };
  const { file, skip } = runtimeBinary(runtime);
  // Deno: its own network and environment permissions; `--sloppy-imports` maps this
  // repository's `.js` import specifiers to its `.ts` files.
  const args =
    runtime === 'bun'
      ? [SOURCE_CONDITION, program]
      : ['run', '--allow-net', '--allow-env', '--sloppy-imports', SOURCE_CONDITION, program];
  return { file, args, skip };
}

/**
 * Starts a program (as `runtimeCommand` says) with `PORT=0`; resolves once it prints
 * "listening on URL" (Deno.serve's own "Listening on ..." too) with that URL.
 */
export async function startListening(
  command: { file: string; args: readonly string[] },
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(command.file, command.args, {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    const url = await within(
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const m = /[Ll]istening on (\S+)/.exec(output);
          if (m) resolve(m[1]!);
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited (${code}): ${output}`)));
      }),
      `${command.args.at(-1) ?? command.file} to listen`,
      30_000,
    );
    return { child, url, output: () => output };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
