/**
 * The PREP behaviour suite inside Bun and Deno (test/runtimes/fetch-behaviour.ts, on
 * `Bun.serve` and `Deno.serve` with `prepFetch`), run by each runtime's own test runner
 * (both run `node:test` suites). Skipped with a one-line reason where a runtime's binary
 * does not run, never in CI (see runtimes.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { within } from '../server/helpers.js';
import { runtimeBinary } from './runtimes.js';

const root = join(import.meta.dirname, '..', '..');
const SUITE = 'test/runtimes/fetch-behaviour.ts';
/** The suite's tests, counted in its source: every one must have run and passed. */
const TESTS = [
  ...readFileSync(join(root, 'test/adapters/behaviour.ts'), 'utf8').matchAll(/^ {4}test\(/gm),
].length;

const RUNS = {
  bun: {
    args: ['test', `./${SUITE}`],
    passed: /^\s*(\d+) pass\s*$/m,
    failed: /^\s*(\d+) fail\s*$/m,
  },
  // --no-check: Deno would type-check against its own globals; `npm run typecheck` checks it.
  deno: {
    args: ['test', '--allow-all', '--no-check', '--sloppy-imports', SUITE],
    passed: /(\d+) passed \((\d+) steps?\)/,
    failed: /(\d+) failed/,
  },
} as const;

for (const runtime of ['bun', 'deno'] as const) {
  test(`DSC-1 RSP-1 RSP-4 RSP-5 RSP-6 RSP-7 RSP-8 N822-3 SEC-2 the PREP behaviour suite passes in ${runtime} (prepFetch on its own server)`, async (t) => {
    const { file, skip } = runtimeBinary(runtime);
    if (skip) {
      t.skip(skip);
      return;
    }
    const run = RUNS[runtime];
    const child = spawn(file, run.args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      `${runtime} test to finish`,
      120_000,
    ).finally(() => child.kill('SIGKILL'));
    assert.equal(code, 0, output);
    const passed = run.passed.exec(output);
    assert.ok(passed, `no pass count in:\n${output}`);
    // Bun counts tests; Deno counts the suite as one test and its tests as steps.
    assert.equal(Number(runtime === 'bun' ? passed[1] : passed[2]), TESTS, output);
    assert.equal(Number(run.failed.exec(output)?.[1]), 0, output);
  });
}
