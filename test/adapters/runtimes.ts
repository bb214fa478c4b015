/**
 * The JavaScript runtimes the fetch handler is tested in: node (through tsx), and Bun and
 * Deno from their npm packages (devDependencies `bun` and `deno`, whose binaries come in
 * the registry packages and are linked into node_modules/.bin by their install scripts).
 * A runtime whose binary does not run here is skipped with a one-line reason, except in CI
 * (`CI=true`), where every runtime is required.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export type Runtime = 'node' | 'bun' | 'deno';

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
      ? [program]
      : ['run', '--allow-net', '--allow-env', '--sloppy-imports', program];
  return { file, args, skip };
}
