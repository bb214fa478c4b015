#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test through tsx. Node 20's --test does not
// expand globs nor pick up .ts files, hence this small script. Arguments narrow the run:
// `npm test -- test/core` or `npm test -- sfv`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules' && name !== 'fixtures') yield* walk(p);
    } else if (name.endsWith('.test.ts')) yield p;
  }
}
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [...walk(join(root, 'test'))]
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`No test file matches ${filters.join(' ')}`);
  process.exit(1);
}
// Test files that run after all the others, one at a time: those whose assertions include a
// wall-clock bound (a wide one, such as "no request blocks the event loop for 100 ms"), so
// that the bound measures the code and not the test files beside it on a 2-core machine; and
// those that build the workspace packages into their dist/ folders, which two builds at once
// would overwrite under each other. A new such file is added here.
const ALONE = new Set([
  'test/reliability/event-loop.test.ts',
  'test/cli/package.test.ts',
  'test/cli/packed.test.ts',
]);
// Test files are independent (own servers on port 0, own temp dirs); much of their time is
// spent waiting on sockets, so two at a time roughly halves the run on a 2-core machine.
const concurrency = process.env.PREP_TEST_CONCURRENCY ?? '2';
const groups = [
  { files: files.filter((f) => !ALONE.has(f)), concurrency },
  { files: files.filter((f) => ALONE.has(f)), concurrency: '1' },
];
let status = 0;
for (const group of groups) {
  if (group.files.length === 0) continue;
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${group.concurrency}`,
      ...flags,
      ...group.files,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      // The workspace packages from their sources (tests, and every node they start).
      env: {
        ...process.env,
        NODE_ENV: 'test',
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=prep-live-source`.trim(),
      },
    },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
