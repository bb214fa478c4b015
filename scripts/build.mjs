#!/usr/bin/env node
// Builds the published package: `tsc` compiles src/ to dist/ (or --out-dir DIR), and the web
// page is bundled for browsers beside it (dist/web/app.bundle.js, with its static files), so
// that an installed package serves the page without esbuild, a devDependency.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
const out = resolve(root, values['out-dir'] ?? 'dist');

rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The same options as the in-memory bundle of src/server/app/web-page.ts.
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
console.log(`built ${out}`);
