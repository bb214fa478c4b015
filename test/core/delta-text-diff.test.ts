import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyTextDiff,
  createTextDiff,
  createTextReplacement,
} from '../../packages/client/src/core/delta/text-diff.js';
import { isPrepError } from '../../packages/client/src/core/errors.js';

const slow = { timeoutMs: 10_000 };

test('N822-8 a unified diff: file headers, hunks, three lines of context', () => {
  assert.equal(createTextDiff('a\nb\n', 'a\nc\n'), '--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
  const before = Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('');
  const after = before.replace('line 10\n', 'line ten\n');
  assert.equal(
    createTextDiff(before, after),
    '--- a\n+++ b\n@@ -8,7 +8,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n line 13\n',
  );
  assert.equal(createTextDiff('same\n', 'same\n'), '--- a\n+++ b\n');
});

test('N822-8 line ends survive: CRLF, a missing final newline, a BOM', () => {
  for (const [a, b] of [
    ['a\r\nb\r\n', 'a\r\nc\r\n'],
    ['a\nb', 'a\nb\n'],
    ['a\nb\n', 'a\nb'],
    ['\ufeffa\n', 'a\n'],
    ['', 'x'],
    ['x', ''],
    ['a\rb\n', 'a\rc\n'],
  ]) {
    const diff = createTextDiff(a!, b!, slow)!;
    assert.equal(applyTextDiff(a!, diff), b, JSON.stringify([a, b]));
  }
});

test('N822-8 applyTextDiff(a, createTextDiff(a, b)) equals b', () => {
  const line = fc.constantFrom('a', 'b', 'c', 'dd', '', ' ', 'x y');
  const eol = fc.constantFrom('\n', '\r\n', '\r');
  const doc = fc
    .array(fc.tuple(line, eol), { maxLength: 30 })
    .chain((ls) => fc.tuple(fc.constant(ls.map(([l, e]) => l + e).join('')), fc.boolean()))
    .map(([s, cut]) => (cut && s.length > 0 ? s.slice(0, -1) : s));
  fc.assert(
    fc.property(doc, doc, (a, b) => {
      const diff = createTextDiff(a, b, slow);
      assert.notEqual(diff, undefined);
      assert.equal(applyTextDiff(a, diff!), b);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(applyTextDiff(a, createTextDiff(a, b, slow)!), b);
    }),
    { numRuns: 300 },
  );
});

test('N822-8 hunks far into a long text keep their line numbers (common head and tail trimmed)', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `row ${i}\n`);
  const a = lines.join('');
  const changed = lines.slice();
  changed[10] = 'first change\n';
  changed[4000] = 'second change\n';
  changed.splice(4500, 0, 'inserted\n');
  const b = changed.join('');
  const diff = createTextDiff(a, b, slow)!;
  assert.match(diff, /^@@ -8,7 \+8,7 @@$/m);
  assert.match(diff, /^@@ -3998,7 \+3998,7 @@$/m);
  assert.match(diff, /^@@ -4498,6 \+4498,7 @@$/m);
  assert.equal(applyTextDiff(a, diff), b);
});

test('N822-8 a pathological diff gives up (a bounded edit length) or stays correct', () => {
  // Two unrelated texts: Myers' O(N·D) at its worst. How fast it gives up is a benchmark figure.
  const a = Array.from({ length: 20_000 }, (_, i) => `a${i}\n`).join('');
  const b = Array.from({ length: 20_000 }, (_, i) => `b${i}\n`).join('');
  const diff = createTextDiff(a, b, { timeoutMs: 20 });
  if (diff !== undefined) assert.equal(applyTextDiff(a, diff), b);
  assert.equal(createTextDiff(a, b, { maxEditLength: 10, timeoutMs: 10_000 }), undefined);
});

test('N822-8 a diff that does not match is PATCH_CONFLICT; one that is not a diff is PATCH_MALFORMED', () => {
  const diff = createTextDiff('a\nb\n', 'a\nc\n')!;
  assert.throws(
    () => applyTextDiff('x\ny\n', diff),
    (e) => isPrepError(e, 'PATCH_CONFLICT') && e.status === 409,
  );
  assert.throws(
    () => applyTextDiff('a\n', '@@ -1,1 +1,1 @@\n?what\n'),
    (e) => isPrepError(e, 'PATCH_MALFORMED') && e.status === 400,
  );
  assert.throws(
    () =>
      applyTextDiff(
        'a\n',
        '--- a\n+++ a\n@@ -1 +1 @@\n-a\n+b\n--- c\n+++ c\n@@ -1 +1 @@\n-a\n+b\n',
      ),
    (e) => isPrepError(e, 'PATCH_MALFORMED') && /one file/.test(e.message),
  );
  assert.equal(applyTextDiff('a\n', ''), 'a\n', 'an empty diff changes nothing');
});

test('N822-8 createTextReplacement: one hunk replacing every line, applying to give the new text', () => {
  assert.equal(
    createTextReplacement('a\nb\n', 'c\n'),
    '--- a\n+++ b\n@@ -1,2 +1,1 @@\n-a\n-b\n+c\n',
  );
  assert.equal(
    createTextReplacement('a\r\nb', ''),
    '--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\r\n-b\n\\ No newline at end of file\n',
  );
  const line = fc.constantFrom('a', 'b', '', ' ', '\ufeff', 'é');
  const eol = fc.constantFrom('\n', '\r\n', '\r', '');
  const doc = fc.array(fc.tuple(line, eol), { maxLength: 10 }).map((ls) => ls.flat().join(''));
  fc.assert(
    fc.property(fc.oneof(doc, fc.string()), fc.oneof(doc, fc.string()), (a, b) => {
      assert.equal(applyTextDiff(a, createTextReplacement(a, b)), b);
    }),
    { numRuns: 1000 },
  );
});
