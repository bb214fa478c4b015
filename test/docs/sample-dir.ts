/**
 * A scratch directory where the docs' samples are written, checked and run as a user's
 * project would hold them: an ES module package (`"type": "module"`), the repository's
 * node_modules (express, fastify, tsx...), and a tsconfig whose `paths` send the package's
 * import names (`@prep-live/client`) to the sources, for tsc and for tsx alike.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, tsconfigPaths } from './package-names.js';

export interface SampleDir {
  path: string;
  /** The tsconfig.json of the directory (repository options, plus `paths`). */
  tsconfig: string;
  remove(): void;
}

export function createSampleDir(prefix: string): SampleDir {
  const path = mkdtempSync(join(tmpdir(), `prep-${prefix}-`));
  writeFileSync(join(path, 'package.json'), '{ "type": "module", "private": true }\n');
  symlinkSync(join(root, 'node_modules'), join(path, 'node_modules'), 'dir');
  const tsconfig = join(path, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        extends: join(root, 'tsconfig.json'),
        compilerOptions: {
          noEmit: true,
          rootDir: '/',
          declaration: false,
          sourceMap: false,
          paths: tsconfigPaths(),
        },
        include: ['*.ts', '*.tsx'],
      },
      null,
      2,
    ),
  );
  return { path, tsconfig, remove: () => rmSync(path, { recursive: true, force: true }) };
}
