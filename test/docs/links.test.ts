/**
 * The docs stand on their own: README.md and docs/*.md point at nothing outside the
 * repository (the requirement list and the design live in docs/ now), every relative link
 * reaches a file that exists (and a heading, for `#anchor`s), and the README's table of
 * contents lists its sections, in order.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { root } from './package-names.js';

const DOCS = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .map((n) => `docs/${n}`),
];

/** A document's text without its fenced code blocks (their contents are not links). */
function prose(doc: string): string {
  return readFileSync(join(root, doc), 'utf8').replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function headings(doc: string): string[] {
  return [...prose(doc).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!));
}

test('README.md and docs/ point at nothing outside the repository', () => {
  const outside: string[] = [];
  for (const doc of DOCS) {
    const text = readFileSync(join(root, doc), 'utf8');
    for (const m of text.matchAll(/\.\.\/shared\b|\b(?:PROTOCOL|DESIGN|STYLE)\.md\b/g))
      outside.push(`${doc}: ${m[0]}`);
    for (const m of prose(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (target === '' || /^[a-z]+:/.test(target)) continue;
      const path = relative(root, normalize(join(root, dirname(doc), target)));
      if (path.startsWith('..')) outside.push(`${doc}: ${m[1]}`);
    }
  }
  assert.deepEqual(outside, []);
});

test('every relative link in README.md and docs/ reaches a file, and its #anchor a heading', () => {
  const broken: string[] = [];
  for (const doc of DOCS) {
    for (const m of prose(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(m[1]!)) continue;
      const [target, anchor] = m[1]!.split('#') as [string, string | undefined];
      const path = target === '' ? doc : relative(root, join(root, dirname(doc), target));
      if (!existsSync(join(root, path))) broken.push(`${doc}: ${m[1]} (no ${path})`);
      else if (anchor !== undefined && path.endsWith('.md') && !headings(path).includes(anchor))
        broken.push(`${doc}: ${m[1]} (no heading #${anchor} in ${path})`);
    }
  }
  assert.deepEqual(broken, []);
});

test("the README's table of contents lists every section, in order", () => {
  const text = prose('README.md');
  const contents = text.slice(
    text.indexOf('## Contents'),
    text.indexOf('\n## ', text.indexOf('## Contents') + 1),
  );
  const listed = [...contents.matchAll(/^- \[[^\]]+\]\(#([^)]+)\)/gm)].map((m) => m[1]!);
  const sections = [...text.matchAll(/^## (.+)$/gm)]
    .map((m) => slug(m[1]!))
    .filter((s) => s !== 'contents');
  assert.deepEqual(listed, sections);
});
