/**
 * Samples that cannot rot: every code block of README.md and docs/*.md that a reader would
 * run is type-checked (ts) and run (ts and sh) against servers this test starts, and every
 * `@example` in the JSDoc of the package's exports type-checks.
 *
 * The conventions, in short (docs/writing-docs.md has them in full):
 * - `<!-- sample: KIND[: note] -->` right before a fence says what to do with the block:
 *   fragment, output, skip, typecheck, server, background, file; none = run `ts` and `sh`.
 * - Samples import the package by its names (`@prep-live/client`); the test maps them to src/.
 * - Ports are placeholders: the test gives each port number a sample writes (127.0.0.1:8080,
 *   listen(3000), ...) a free loopback port of its own; 8080 is a `prep serve` it starts.
 * - `curl` fails on an HTTP error status; `prep` and `npx prep` run this checkout's CLI.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectJsdocExamples, withAbsoluteImports } from './jsdoc-examples.js';
import { readMarkdown, runs, typeChecked, type MarkdownItem } from './markdown-samples.js';
import { packageEntryPoints, root } from './package-names.js';
import { createSampleDir } from './sample-dir.js';
import { runDocumentSamples } from './sample-runner.js';
import { preludeOf, publicNames, typecheckSamples } from './typecheck.js';

const DOCS = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

const documents = new Map<string, { items: MarkdownItem[]; problems: string[] }>(
  DOCS.map((doc) => [doc, readMarkdown(doc, readFileSync(join(root, doc), 'utf8'))]),
);

function samplesOf(doc: string) {
  return documents.get(doc)!.items.flatMap((i) => (i.type === 'sample' ? [i.sample] : []));
}

test('every sample marker in README.md and docs/ is known and sits before a block; samples that run are not transcripts', () => {
  assert.deepEqual(
    [...documents.values()].flatMap((d) => d.problems),
    [],
  );
  // The README's samples are run, not all skipped.
  assert.ok(
    samplesOf('README.md').filter((s) => runs(s.kind)).length >= 10,
    'the README has runnable samples',
  );
});

test('every ts sample of README.md and docs/ type-checks against the sources, imported by the package names', (t) => {
  const dir = createSampleDir('typecheck-docs');
  t.after(() => dir.remove());
  const samples = DOCS.flatMap(samplesOf)
    .filter(typeChecked)
    .map((s) => ({
      origin: `${s.doc}:${s.line + 1}`,
      line: s.line + 1,
      code: s.code,
      jsx: s.lang === 'tsx',
    }));
  assert.ok(samples.length > 0);
  assert.deepEqual(typecheckSamples(dir, samples), []);
});

test("every @example in the JSDoc of the package's exports type-checks", (t) => {
  const entries = packageEntryPoints();
  const { examples, program } = collectJsdocExamples(entries);
  assert.ok(examples.length >= 100, `found ${examples.length} examples`);
  const names = publicNames(program, entries);
  const modules = [...entries.keys()];
  const dir = createSampleDir('typecheck-jsdoc');
  t.after(() => dir.remove());
  const samples = examples.map((e) => ({
    origin: e.origin,
    line: e.line,
    code: withAbsoluteImports(e),
    entry: e.entry,
  }));
  const problems = typecheckSamples(dir, samples, (s) => preludeOf(s, names, modules), program);
  assert.deepEqual(problems, []);
});

/** Commands the shell samples run that a machine may lack (each a Debian package of that name). */
const TOOLS = ['bash', 'curl', 'openssl'];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

for (const doc of DOCS) {
  const samples = samplesOf(doc);
  if (!samples.some((s) => runs(s.kind))) continue;
  const shell = samples.filter((s) => runs(s.kind) && s.lang === 'sh');
  const missing = TOOLS.filter(
    (tool) =>
      shell.some((s) => tool === 'bash' || new RegExp(`\\b${tool}\\b`).test(s.code)) &&
      !onPath(tool),
  );
  test(`the samples of ${doc} run, in order, against the servers they name`, async (t) => {
    if (missing.length > 0) {
      t.skip(`not installed: ${missing.join(', ')} (apt-get install ${missing.join(' ')})`);
      return;
    }
    await runDocumentSamples(t, documents.get(doc)!.items);
  });
}
