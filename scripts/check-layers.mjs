#!/usr/bin/env node
// Keeps the layer rule of docs/architecture.md: arrows point down only. The core (and the
// client, which runs in browsers) imports no `node:*` module; each layer imports only the
// layers listed for it here; a package imports another package by its name, never by a
// relative path into it. Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
/** Source roots: prep-live's `src`, and each workspace package's. */
const roots = [
  join(repo, 'src'),
  ...readdirSync(join(repo, 'packages'))
    .map((name) => join(repo, 'packages', name, 'src'))
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory()),
];
/** Package names -> the layer they export. */
const packageLayers = {
  '@prep-live/client': 'client',
  '@prep-live/client/core': 'core',
  '@prep-live/react': 'react',
};
/** The source root and the path inside it of a file, if it is in one. */
function locate(file) {
  for (const root of roots) {
    const rel = relative(root, file);
    if (!rel.startsWith('..')) return { root, parts: rel.split(sep) };
  }
  return undefined;
}
/** layer -> layers it may import (itself always allowed) */
const allowed = {
  core: [],
  store: ['core'],
  server: ['core', 'store'],
  client: ['core'],
  web: ['core', 'client'],
  react: ['core', 'client'],
  cli: ['core', 'store', 'server', 'client'],
};
/**
 * Inside src/server, its products (docs/architecture.md): the engine library that users
 * embed (engine, log, embed, adapters, auth) knows nothing of the reference application
 * (app) or the proxy (proxy), and the engine itself knows neither our store nor the event
 * path. `ops` (metrics, health, the admin listener, structured logs) watches both; nothing but
 * the CLI imports it. Files directly in
 * src/server (index.ts, http-error.ts) are shared.
 */
const serverAllowed = {
  engine: ['auth'],
  auth: [],
  log: ['engine', 'auth', 'store'],
  embed: ['engine', 'log', 'auth'],
  adapters: ['engine', 'log', 'embed', 'auth'],
  app: ['engine', 'log', 'embed', 'adapters', 'auth', 'store'],
  ops: ['engine', 'log', 'embed', 'auth', 'store', 'app'],
  // `prep proxy`: the engine and event path in front of an upstream, with the app's WES
  // publisher and listener pieces for what it serves itself.
  proxy: ['engine', 'log', 'embed', 'auth', 'store', 'app'],
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
for (const root of roots) {
  for (const file of walk(root)) {
    files++;
    check(root, file);
  }
}

function check(root, file) {
  const from = relative(root, file).split(sep);
  const layer = from[0];
  if (!(layer in allowed)) {
    problems.push(
      `${relative(repo, file)}: folder ${relative(repo, join(root, layer))} is not a known layer (add it to scripts/check-layers.mjs)`,
    );
    return;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec) continue;
    const line = text.slice(0, m.index).split('\n').length;
    const where = `${relative(repo, file)}:${line}`;
    if (
      pure.has(layer) &&
      (spec.startsWith('node:') ||
        /^(fs|path|http|http2|net|os|crypto|stream|events|url|util|zlib|child_process)(\/|$)/.test(
          spec,
        ))
    ) {
      problems.push(`${where}: ${layer} must run in browsers, but imports '${spec}'`);
      continue;
    }
    let target;
    let targetParts;
    if (spec.startsWith('.')) {
      const at = locate(resolve(dirname(file), spec));
      if (!at) continue;
      if (at.root !== root) {
        problems.push(`${where}: import another package by its name, not by a path ('${spec}')`);
        continue;
      }
      targetParts = at.parts;
      target = targetParts[0];
    } else if (spec in packageLayers) target = packageLayers[spec];
    else continue;
    if (target !== layer && !allowed[layer].includes(target)) {
      problems.push(`${where}: ${layer} may not import ${target} ('${spec}')`);
      continue;
    }
    if (layer !== 'server') continue;
    const part = from.length > 2 ? from[1] : undefined;
    if (part === undefined) continue;
    if (!(part in serverAllowed)) {
      problems.push(
        `${where}: folder src/server/${part} is not a known part (add it to scripts/check-layers.mjs)`,
      );
      continue;
    }
    // What it reaches: another layer, a part of src/server, or a shared file of src/server.
    const to = target === 'server' ? (targetParts.length > 2 ? targetParts[1] : undefined) : target;
    if (to === undefined || to === part || to === 'core') continue;
    if (!serverAllowed[part].includes(to))
      problems.push(
        `${where}: src/server/${part} may not import ${target === 'server' ? `src/server/${to}` : to} ('${spec}')`,
      );
  }
}
if (problems.length) {
  console.error(
    `Layer check failed (${problems.length}):\n` + problems.map((p) => `  ${p}`).join('\n'),
  );
  process.exit(1);
}
console.log(`Layer check: ${files} files, no import crosses a layer the wrong way.`);
