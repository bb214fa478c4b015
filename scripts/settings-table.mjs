#!/usr/bin/env node
// Keeps the README's table of `prep serve` settings in step with the settings table
// (src/server/settings.ts), between <!-- settings:start --> and <!-- settings:end -->.
//
//   node scripts/settings-table.mjs          check only (exit 1 when the README differs)
//   node scripts/settings-table.mjs --write  rewrite the README's table
//
// test/server/settings.test.ts runs the same check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

const root = join(import.meta.dirname, '..');
const readme = join(root, 'README.md');
const START =
  '<!-- settings:start (generated from src/server/settings.ts: node scripts/settings-table.mjs --write) -->';
const END = '<!-- settings:end -->';

register();
const { settingsMarkdown } = await import('../src/cli/serve-settings.ts');
const text = readFileSync(readme, 'utf8');
const from = text.indexOf(START);
const to = text.indexOf(END);
if (from < 0 || to < from) {
  console.error(`README.md has no ${START} ... ${END} block`);
  process.exit(1);
}
const next = `${text.slice(0, from + START.length)}\n${settingsMarkdown()}\n${text.slice(to)}`;
if (next === text) console.log('README settings table: up to date');
else if (process.argv.includes('--write')) {
  writeFileSync(readme, next);
  console.log('README settings table: rewritten');
} else {
  console.error(
    'README settings table differs from src/server/settings.ts: run node scripts/settings-table.mjs --write',
  );
  process.exit(1);
}
