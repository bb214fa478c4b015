/**
 * Runs fuzz targets as node:test tests: one test per property, with a bounded number of runs
 * (FUZZ_RUNS overrides the default; `npm run fuzz` is the long run of the same properties).
 */
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { FuzzTarget } from '../../fuzz/targets.js';

/** Runs per property in `npm test`. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

/** Declares one test per property of each target; `runs` scales the default for costly targets. */
export async function fuzzTests(targets: readonly FuzzTarget[], runs = RUNS): Promise<void> {
  for (const target of targets) {
    const open = await target.open();
    for (const p of open.properties) {
      test(`${p.name} (fuzz ${target.name})`, async () => {
        await fc.assert(p.make(), { numRuns: p.testRuns ?? runs });
      });
    }
    after(() => open.close());
  }
}

/** The named targets, in the given order. */
export function pick(all: readonly FuzzTarget[], ...names: string[]): FuzzTarget[] {
  return names.map((name) => {
    const t = all.find((x) => x.name === name);
    if (!t) throw new Error(`no fuzz target ${name}`);
    return t;
  });
}
