#!/usr/bin/env node
// Keeps docs/conformance.md and the README's compliance table in step with the tests.
//
//   node scripts/conformance.mjs          check only (exit 1 with reasons)
//   node scripts/conformance.mjs --write  regenerate the "Tests" column and the README table
//
// Requirement IDs come from docs/protocol.md, the list of record. Statuses and notes in
// docs/conformance.md are written by hand.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const ID = /\b(HDR|MTH|DSC|REQ|ERR|RSP|N822|SEC|EXT|WES)-\d+\b/g;
const STATUSES = new Set(['done', 'partial', 'not yet']);

/**
 * ID -> requirement text, from docs/protocol.md: each requirement is a list item
 * `- ID text`, continued by the lines up to the next item, heading or blank line.
 */
export function protocolIds() {
  const ids = new Map();
  let last;
  for (const line of readFileSync(join(root, 'docs', 'protocol.md'), 'utf8').split('\n')) {
    const m = /^- ((?:HDR|MTH|DSC|REQ|ERR|RSP|N822|SEC|EXT|WES)-\d+) (.*)$/.exec(line);
    if (m) {
      last = m[1];
      ids.set(last, m[2]);
    } else if (last && line.trim() !== '' && !/^(- |#)/.test(line))
      ids.set(last, `${ids.get(last)} ${line.trim()}`);
    else last = undefined;
  }
  for (const [id, text] of ids) ids.set(id, text.replace(/`/g, '').trim());
  return ids;
}

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (name.endsWith('.test.ts')) yield p;
  }
}

/** ID -> Map<file, count> of tests (test/it/describe names) that start with or contain the ID */
export function testsById() {
  const map = new Map();
  const nameRe = /\b(?:test|it|describe|suite)\s*\(\s*(['"`])((?:(?!\1).)*)\1/g;
  for (const file of walk(join(root, 'test'))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(nameRe)) {
      for (const id of m[2].match(ID) ?? []) {
        if (!map.has(id)) map.set(id, new Map());
        const files = map.get(id);
        files.set(rel, (files.get(rel) ?? 0) + 1);
      }
    }
  }
  return map;
}

export function readConformance() {
  const text = readFileSync(join(root, 'docs', 'conformance.md'), 'utf8');
  const rows = new Map();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !/^[A-Z0-9]+-\d+$/.test(cells[1] ?? '')) continue;
    rows.set(cells[1], {
      requirement: cells[2],
      status: cells[3],
      tests: cells[4],
      notes: cells[5],
    });
  }
  return { text, rows };
}

function testsCell(files) {
  if (!files || files.size === 0) return '—';
  return [...files].map(([f, n]) => `\`${f.replace(/^test\//, '')}\` (${n})`).join(', ');
}

export function check() {
  const problems = [];
  const ids = protocolIds();
  const { rows } = readConformance();
  const tests = testsById();
  for (const id of ids.keys())
    if (!rows.has(id)) problems.push(`${id} is in docs/protocol.md but not in docs/conformance.md`);
  for (const [id, row] of rows) {
    if (!ids.has(id))
      problems.push(`docs/conformance.md lists ${id}, which docs/protocol.md does not define`);
    if (!STATUSES.has(row.status))
      problems.push(`${id}: status "${row.status}" is not one of done / partial / not yet`);
    if (row.status === 'done' && !tests.has(id))
      problems.push(`${id} is marked done but no test names it`);
    if (row.tests !== testsCell(tests.get(id)))
      problems.push(`${id}: the Tests column is stale (run: node scripts/conformance.mjs --write)`);
  }
  for (const [id, files] of tests) {
    if (!ids.has(id))
      problems.push(
        `${[...files.keys()].join(', ')}: names ${id}, which docs/protocol.md does not define`,
      );
  }
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  if (!readme.includes(readmeTable(rows)))
    problems.push(
      'README.md compliance table is stale (run: node scripts/conformance.mjs --write)',
    );
  return problems;
}

function readmeTable(rows) {
  const groups = new Map();
  for (const [id, row] of rows) {
    const g = id.replace(/-\d+$/, '');
    if (!groups.has(g)) groups.set(g, { done: [], partial: [], 'not yet': [] });
    groups.get(g)[row.status]?.push(id);
  }
  const lines = [
    '<!-- compliance:start (generated from docs/conformance.md) -->',
    '| Area | Done | Partial | Not yet |',
    '| --- | --- | --- | --- |',
  ];
  for (const [g, s] of groups) {
    lines.push(
      `| ${g} | ${s.done.join(' ') || '—'} | ${s.partial.join(' ') || '—'} | ${s['not yet'].join(' ') || '—'} |`,
    );
  }
  lines.push('<!-- compliance:end -->');
  return lines.join('\n');
}

function write() {
  const ids = protocolIds();
  const { text, rows } = readConformance();
  const tests = testsById();
  const out = ['| ID | Requirement | Status | Tests | Notes |', '| --- | --- | --- | --- | --- |'];
  for (const [id, req] of ids) {
    const row = rows.get(id) ?? { status: 'not yet', notes: '' };
    const short = req.length > 90 ? `${req.slice(0, 87).trimEnd()}…` : req;
    out.push(
      `| ${id} | ${short.replace(/\|/g, '/')} | ${row.status} | ${testsCell(tests.get(id))} | ${row.notes ?? ''} |`,
    );
  }
  const start = text.search(/^\| ID\b/m);
  const endMarker = '<!-- table:end -->';
  const end = text.indexOf(endMarker);
  const next = text.slice(0, start) + out.join('\n') + '\n' + text.slice(end);
  writeFileSync(join(root, 'docs', 'conformance.md'), next);
  const fresh = readConformance().rows;
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const a = readme.indexOf('<!-- compliance:start');
  const b = readme.indexOf('<!-- compliance:end -->') + '<!-- compliance:end -->'.length;
  if (a >= 0 && b > a)
    writeFileSync(readmePath, readme.slice(0, a) + readmeTable(fresh) + readme.slice(b));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--write')) write();
  const problems = check();
  if (problems.length) {
    console.error(
      `conformance: ${problems.length} problem(s)\n` + problems.map((p) => `  ${p}`).join('\n'),
    );
    process.exit(1);
  }
  console.log(
    'conformance: docs/conformance.md and README are in step with docs/protocol.md and the tests',
  );
}
