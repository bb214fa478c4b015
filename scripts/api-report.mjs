#!/usr/bin/env node
// The public API report: for each entry point of each package (its package.json `exports`),
// api-extractor's report of every exported name and signature, checked in under api/. A
// change of the public surface changes a report, so it shows in review.
//
//   node scripts/api-report.mjs                write the reports (after changing an export)
//   node scripts/api-report.mjs --check        fail if a report differs (the test and CI)
//   node scripts/api-report.mjs --built DIR    use a build made already (scripts/build.mjs
//                                              --out-dir DIR): no build of its own
//
// The reports are made from the declarations the build emits (scripts/build.mjs: the client
// packages into their dist/, prep-live into a temp dir), the files an installed package has.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, built: { type: 'string' } },
});
const check = values.check;
const reportFolder = join(root, 'api');

/**
 * Every package of the repository and its entry points: `[package dir, name, subpath,
 * source index]`, read from the `exports` of each package.json (`./dist/x/index.js` is built
 * from `./src/x/index.ts`).
 */
function entryPoints() {
  const dirs = [root];
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const w of rootPkg.workspaces ?? []) {
    const base = join(root, w.replace(/\/\*$/, ''));
    if (!w.endsWith('/*')) dirs.push(base);
    else if (existsSync(base))
      for (const d of spawnSync('ls', [base], { encoding: 'utf8' }).stdout.split('\n'))
        if (d && existsSync(join(base, d, 'package.json'))) dirs.push(join(base, d));
  }
  const out = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const types = typeof target === 'object' ? target.types : undefined;
      if (!types?.endsWith('.d.ts')) continue;
      out.push({ dir, name: pkg.name, subpath, types });
    }
  }
  return out;
}

/** The build's output folder of a package: prep-live's is `out`, a workspace's its dist/. */
function distOf(dir, out) {
  return dir === root ? out : join(dir, 'dist');
}

const tmp = mkdtempSync(join(tmpdir(), 'prep-api-'));
mkdirSync(reportFolder, { recursive: true });
let changed = 0;
try {
  const out = values.built === undefined ? join(tmp, 'dist') : resolve(values.built);
  if (values.built === undefined) {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--out-dir', out], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const entries = entryPoints();
  // `prep-live` and `prep-live/server` are one module: one report for both.
  const reported = new Set();
  for (const e of entries) {
    const key = join(e.dir, e.types);
    if (reported.has(key)) continue;
    reported.add(key);
    const types = join(distOf(e.dir, out), e.types.replace(/^\.\/dist\//, ''));
    if (!existsSync(types)) {
      console.error(
        `api: ${relative(root, types)} is missing: build first (node scripts/build.mjs)`,
      );
      process.exit(1);
    }
    // prep-live.api.md, prep-live-server.api.md, prep-live-client.api.md, ...
    const file = [e.name.replace('@', '').replace('/', '-'), ...e.subpath.split('/').slice(1)].join(
      '-',
    );
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: e.dir,
        mainEntryPointFilePath: types,
        bundledPackages: [],
        // Only the declarations: the sources are not part of the report's program.
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023', 'DOM', 'DOM.Iterable'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              skipLibCheck: true,
              types: ['node'],
            },
            files: [types],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: `${file}.api.md`,
          reportFolder,
          reportTempFolder: join(tmp, 'reports'),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The report is the point; TSDoc style and release tags are not policed here.
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'none' },
            'ae-wrong-input-file-type': { logLevel: 'error' },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(e.dir, 'api-extractor.json'),
      packageJsonFullPath: join(e.dir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: !check,
      showVerboseMessages: false,
      // In --check, the diff of a report that changed, so the failure shows what changed.
      printApiReportDiff: check,
      messageCallback: (m) => {
        // The bundled TypeScript differs from ours (fine for a report); the report's own
        // created/copied notices are said below in one line.
        if (
          [
            'console-preamble',
            'console-compiler-version-notice',
            'console-api-report-copied',
            'console-api-report-created',
            'console-api-report-not-copied',
          ].includes(m.messageId)
        )
          m.handled = true;
      },
    });
    const where = relative(root, join(reportFolder, `${file}.api.md`));
    if (result.apiReportChanged) {
      changed++;
      console.error(
        check
          ? `api: ${where} is out of date: the public API of ${e.name}${e.subpath === '.' ? '' : e.subpath.slice(1)} changed (run: node scripts/api-report.mjs, and review the diff)`
          : `api: ${where} updated`,
      );
    }
    if (!result.succeeded && !result.apiReportChanged) {
      console.error(`api: api-extractor failed for ${where}`);
      process.exitCode = 1;
    }
  }
  if (!changed) console.log(`api: ${reported.size} reports in step with the exports`);
  if (check && changed) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
