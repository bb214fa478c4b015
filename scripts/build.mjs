#!/usr/bin/env node
// Builds the published packages: `tsc` compiles each package's src/ to its dist/, the client
// packages first (prep-live is compiled against their declarations, as an installed package
// would be), and the web page is bundled for browsers beside prep-live's dist
// (dist/web/app.bundle.js, with its static files), so that an installed package serves the
// page without esbuild, a devDependency. Run by `npm ci` (prepare) and `npm pack` (prepack).
//
//   node scripts/build.mjs                  every package
//   node scripts/build.mjs --package client  one workspace package (client, react)
//   node scripts/build.mjs --out-dir DIR     prep-live's own output elsewhere (tests)
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { 'out-dir': { type: 'string' }, package: { type: 'string' } },
});
/** The workspace packages, in dependency order. */
const WORKSPACES = ['client', 'react'];

function tsc(dir, out) {
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
    { cwd: dir, stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (values.package !== undefined) {
  if (!WORKSPACES.includes(values.package)) {
    console.error(`build: --package expects one of ${WORKSPACES.join(', ')}`);
    process.exit(2);
  }
  const dir = join(root, 'packages', values.package);
  tsc(dir, join(dir, 'dist'));
  console.log(`built packages/${values.package}/dist`);
  process.exit(0);
}

for (const name of WORKSPACES)
  tsc(join(root, 'packages', name), join(root, 'packages', name, 'dist'));

const out = resolve(root, values['out-dir'] ?? 'dist');
tsc(root, out);

// The same options as the in-memory bundle of src/server/app/web-page.ts, but from the built
// client package (the default export condition).
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'src/web/app.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  outfile: join(out, 'web/app.bundle.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
cpSync(join(root, 'src/web/static'), join(out, 'web/static'), { recursive: true });
console.log(`built ${WORKSPACES.map((n) => `packages/${n}/dist`).join(', ')}, ${out}`);
