/**
 * The import names a user writes (`@prep-live/client`) mapped to the repository's sources, so
 * the samples of the docs are checked and run against `src/` as a user would import the
 * package, without a build. Read from the packages' own `exports` (`./dist/x/index.js` is
 * built from `src/x/index.ts`), so a new entry point or package is picked up by itself.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');

interface PackageJson {
  name: string;
  exports?: Record<string, string | { types?: string; default?: string }>;
  workspaces?: string[];
}

/** Every package of the repository: the root one, and its workspaces (`dir/*` patterns). */
function packageDirs(): string[] {
  const dirs = [root];
  const top = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  for (const pattern of top.workspaces ?? []) {
    const base = join(root, pattern.replace(/\/\*$/, ''));
    if (!pattern.endsWith('/*')) dirs.push(base);
    else if (existsSync(base)) for (const name of readdirSync(base)) dirs.push(join(base, name));
  }
  return dirs.filter((d) => existsSync(join(d, 'package.json')));
}

/**
 * Import name -> absolute path of its TypeScript source: `prep-live` -> `src/core/index.ts`,
 * `@prep-live/client` -> `src/client/index.ts`, ... Throws when an entry point's source is missing.
 */
export function packageEntryPoints(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const dir of packageDirs()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const built = typeof target === 'string' ? target : (target.default ?? target.types);
      if (built === undefined || !/\.(js|d\.ts)$/.test(built)) continue; // ./package.json
      const source = join(
        dir,
        built.replace(/^\.\/dist\//, './src/').replace(/(\.d\.ts|\.js)$/, '.ts'),
      );
      if (!existsSync(source))
        throw new Error(
          `${pkg.name}: exports["${subpath}"] (${built}) has no source at ${relative(root, source)}`,
        );
      entries.set(subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, source);
    }
  }
  return entries;
}

/** `compilerOptions.paths` for a tsconfig that resolves the import names to the sources. */
export function tsconfigPaths(): Record<string, string[]> {
  return Object.fromEntries([...packageEntryPoints()].map(([name, file]) => [name, [file]]));
}
