#!/usr/bin/env node
// Keeps the layer rule of DESIGN.md: arrows point down only. The core (and the
// client, which runs in browsers) imports no `node:*` module; each layer imports
// only the layers listed for it here. Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'src');
/** layer -> layers it may import (itself always allowed) */
const allowed = {
  core: [],
  store: ['core'],
  bus: ['core', 'store'],
  server: ['core', 'store', 'bus'],
  client: ['core'],
  web: ['core', 'client'],
  react: ['core', 'client'],
  cli: ['core', 'store', 'bus', 'server', 'client'],
};
/** layers that must run in browsers: no Node built-ins */
const pure = new Set(['core', 'client', 'web', 'react']);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
const problems = [];
let files = 0;
for (const file of walk(root)) {
  files++;
  const layer = relative(root, file).split(sep)[0];
  if (!(layer in allowed)) {
    problems.push(
      `${relative(process.cwd(), file)}: folder src/${layer} is not a known layer (add it to scripts/check-layers.mjs)`,
    );
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec) continue;
    const line = text.slice(0, m.index).split('\n').length;
    const where = `${relative(process.cwd(), file)}:${line}`;
    if (
      pure.has(layer) &&
      (spec.startsWith('node:') ||
        /^(fs|path|http|http2|net|os|crypto|stream|events|url|util|zlib|child_process)(\/|$)/.test(
          spec,
        ))
    ) {
      problems.push(`${where}: src/${layer} must run in browsers, but imports '${spec}'`);
      continue;
    }
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split(sep)[0];
      if (target === '..' || target === layer) continue;
      if (!allowed[layer].includes(target)) {
        problems.push(`${where}: src/${layer} may not import src/${target} ('${spec}')`);
      }
    }
  }
}
if (problems.length) {
  console.error(
    `Layer check failed (${problems.length}):\n` + problems.map((p) => `  ${p}`).join('\n'),
  );
  process.exit(1);
}
console.log(`Layer check: ${files} files, no import crosses a layer the wrong way.`);
