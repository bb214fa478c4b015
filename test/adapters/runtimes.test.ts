/**
 * The PREP behaviour suite inside Bun and Deno (test/runtimes/fetch-behaviour.ts, on
 * `Bun.serve` and `Deno.serve` with `prepFetch`), a slow reader closed by the hub's bound
 * (test/runtimes/slow-reader.ts), and our stores under the fetch handler
 * there (test/runtimes/store-history.ts: `MemoryStore`, and `PostgresStore` on a throwaway
 * cluster), run by each runtime's own test runner (both run `node:test` suites). Skipped
 * with a one-line reason where a runtime's binary or PostgreSQL is missing, never in CI
 * (see runtimes.ts and test/helpers/postgres.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { within } from '../helpers/wait.js';
import { SOURCE_CONDITION, runtimeBinary } from './runtimes.js';

const root = join(import.meta.dirname, '..', '..');
const SUITE = 'test/runtimes/fetch-behaviour.ts';
const STORE_SUITE = 'test/runtimes/store-history.ts';
const SLOW_SUITE = 'test/runtimes/slow-reader.ts';
/** The suite's tests, counted in its source: every one must have run and passed. */
const TESTS = [
  ...readFileSync(join(root, 'test/adapters/behaviour.ts'), 'utf8').matchAll(/^ {4}test\(/gm),
].length;

/** Runs a `node:test` file in a runtime; resolves with its exit code and output. */
async function runIn(
  file: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(file, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await within(
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    `${file} ${args.join(' ')} to finish`,
    120_000,
  ).finally(() => child.kill('SIGKILL'));
  return { code, output };
}

/** The test command of `runtime` for a suite file, and how its summary reads. */
function suiteRun(runtime: 'bun' | 'deno', suite: string) {
  return runtime === 'bun'
    ? {
        args: ['test', SOURCE_CONDITION, `./${suite}`],
        passed: (o: string) => Number(/^\s*(\d+) pass\s*$/m.exec(o)?.[1]),
        failed: (o: string) => Number(/^\s*(\d+) fail\s*$/m.exec(o)?.[1]),
      }
    : {
        // --no-check: Deno would type-check against its own globals; `npm run typecheck` does.
        args: ['test', '--allow-all', '--no-check', '--sloppy-imports', SOURCE_CONDITION, suite],
        // Deno counts a describe() as one test and its tests as steps.
        passed: (o: string) => {
          const m = /(\d+) passed(?: \((\d+) steps?\))?/.exec(o);
          return Number(m?.[2] ?? m?.[1]);
        },
        failed: (o: string) => Number(/(\d+) failed/.exec(o)?.[1]),
      };
}

for (const runtime of ['bun', 'deno'] as const) {
  test(`DSC-1 RSP-1 RSP-4 RSP-5 RSP-6 RSP-7 RSP-8 N822-3 SEC-2 the PREP behaviour suite passes in ${runtime} (prepFetch on its own server)`, async (t) => {
    const { file, skip } = runtimeBinary(runtime);
    if (skip) {
      t.skip(skip);
      return;
    }
    const run = suiteRun(runtime, SUITE);
    const { code, output } = await runIn(file, run.args);
    assert.equal(code, 0, output);
    assert.equal(run.passed(output), TESTS, output);
    assert.equal(run.failed(output), 0, output);
  });
}

for (const runtime of ['bun', 'deno'] as const) {
  test(`SEC-2 in ${runtime} a subscriber that stops reading is closed by the hub's bound (maxQueueBytes)`, async (t) => {
    const { file, skip } = runtimeBinary(runtime);
    if (skip) {
      t.skip(skip);
      return;
    }
    const run = suiteRun(runtime, SLOW_SUITE);
    const { code, output } = await runIn(file, run.args);
    assert.equal(code, 0, output);
    assert.equal(run.passed(output), 1, output);
    assert.equal(run.failed(output), 0, output);
  });
}

let pg: TestPostgres | { skip: string } | undefined;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  if (pg && !('skip' in pg)) await pg.stop();
});

for (const runtime of ['bun', 'deno'] as const) {
  test(`EXT-1 N822-4 our stores under the fetch handler in ${runtime}: StoreHistory over MemoryStore and PostgresStore`, async (t) => {
    const { file, skip } = runtimeBinary(runtime);
    if (skip) {
      t.skip(skip);
      return;
    }
    const env: Record<string, string> = {};
    if (pg && !('skip' in pg)) env.PREP_TEST_PG_URL = await pg.createDatabase();
    else t.diagnostic(`PostgresStore not run: ${pg?.skip ?? 'no PostgreSQL'}`);
    const run = suiteRun(runtime, STORE_SUITE);
    const { code, output } = await runIn(file, run.args, env);
    assert.equal(code, 0, output);
    assert.equal(run.passed(output), env.PREP_TEST_PG_URL ? 2 : 1, output);
    assert.equal(run.failed(output), 0, output);
  });
}
