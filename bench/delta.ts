/**
 * What a delta costs the server (N822-8): made once per change and delta type, on the
 * write's path to its subscribers, so it bounds how large a document can be and still be
 * announced quickly. Side by side with npm `fast-json-patch` `compare` (what we used
 * before our own diff walk) on the same documents; and `createDelta` for each delta type,
 * which parses both bodies and picks the difference or the rebuild.
 *
 *     node --import tsx bench/delta.ts
 */
import jsonpatch from 'fast-json-patch';
import { pathToFileURL } from 'node:url';
import { createDelta, type Representation } from '../packages/client/src/core/delta/index.js';
import { diffJson } from '../packages/client/src/core/delta/json-patch.js';

/** One row: ours, and the baseline when there is one (ratio = ours / baseline, higher is better). */
export interface DeltaRow {
  name: string;
  opsPerSec: number;
  baselineOpsPerSec?: number;
  ratio?: number;
  note?: string;
}

const enc = new TextEncoder();
const json = (v: unknown): Representation => ({
  contentType: 'application/json',
  body: enc.encode(JSON.stringify(v)),
});

/** Calls `fn` for about `ms` milliseconds; returns [calls, elapsed ms]. */
function run(fn: () => unknown, ms: number): [number, number] {
  let sink = 0;
  let n = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    sink += fn() === undefined ? 0 : 1;
    n++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink < 0) console.log(sink);
  return [n, elapsed];
}

/**
 * Calls per second of each function, measured in alternating rounds after a warm-up of
 * each, so that the JIT, the garbage collector and a busy machine weigh on all alike.
 */
function measure(fns: readonly (() => unknown)[], ms: number): number[] {
  const rounds = 4;
  for (const fn of fns) run(fn, ms / rounds);
  const totals = fns.map(() => [0, 0]);
  for (let r = 0; r < rounds; r++)
    fns.forEach((fn, i) => {
      const [n, elapsed] = run(fn, ms / rounds);
      totals[i]![0]! += n;
      totals[i]![1]! += elapsed;
    });
  return totals.map(([n, elapsed]) => (n! * 1000) / elapsed!);
}

export function benchDelta(options: { ms?: number; items?: number } = {}): DeltaRow[] {
  const ms = options.ms ?? 1000;
  const count = options.items ?? 100_000;
  const items = Array.from({ length: count }, (_, i) => ({
    id: i,
    name: `item ${i}`,
    done: i % 2 === 0,
  }));
  const changed = items.map((x, i) => (i === count >> 1 ? { ...x, name: 'renamed' } : x));
  const shifted = [{ id: -1, name: 'first', done: false }, ...items];
  const parse = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
  const [a, b, c] = [parse(items), parse(changed), parse(shifted)];
  const budget = JSON.stringify(shifted).length + 40; // the root replace's size
  const rows: DeltaRow[] = [];
  const vs = (name: string, ours: () => unknown, theirs: () => unknown, note: string) => {
    const [opsPerSec, baselineOpsPerSec] = measure([ours, theirs], ms) as [number, number];
    rows.push({ name, opsPerSec, baselineOpsPerSec, ratio: opsPerSec / baselineOpsPerSec, note });
  };
  vs(
    `json diff, ${count} items, one changed`,
    () => diffJson(a, b, { maxChars: budget }),
    () => jsonpatch.compare(a as object, b as object),
    'a walk of both trees',
  );
  vs(
    `json diff, ${count} items, one inserted first`,
    () => diffJson(a, c, { maxChars: budget }),
    () => jsonpatch.compare(a as object, c as object),
    'ours stops at the rebuild size; compare copies each value',
  );
  const before = json(items);
  const after = { changed: json(changed), shifted: json(shifted) };
  const unbounded = { maxInputBytes: Number.POSITIVE_INFINITY, maxCostMs: 60_000 };
  for (const type of ['application/json-patch+json', 'application/merge-patch+json', 'text/plain'])
    for (const [what, next] of Object.entries(after))
      rows.push({
        name: `createDelta ${type}, ${count} items (${(before.body.length / 1e6).toFixed(1)} MB), ${what}`,
        opsPerSec: measure([() => createDelta(type, before, next, unbounded)], ms)[0]!,
        note: 'parses both bodies',
      });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of benchDelta())
    console.log(
      `${r.name.padEnd(80)} ${r.opsPerSec.toFixed(2).padStart(8)}/s` +
        (r.ratio === undefined
          ? ''
          : `  fast-json-patch ${r.baselineOpsPerSec!.toFixed(2)}/s  ${r.ratio.toFixed(2)}x`),
    );
}
