/**
 * Micro-benchmark of the Structured Field parser on the fields PREP parses on every
 * request: `Accept-Events` (a List, HDR-1, with HDR-2 list-valued parameters) and
 * `Events` (a Dictionary, HDR-3), against npm `structured-headers` in the same run.
 *
 *   node --import tsx bench/sfv.ts
 */
import * as sh from 'structured-headers';

import { parseDictionary, parseList } from '../packages/client/src/core/sfv/index.js';

/**
 * One row of the result: ours, and the baseline where it can parse the input.
 *
 * @example
 * ```ts
 * const row: BenchResult = { name: 'parseList', opsPerSec: 3e6, baselineOpsPerSec: 6e5, ratio: 5 };
 * ```
 */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  baselineOpsPerSec?: number;
  ratio?: number;
}

const ACCEPT_EVENTS = [
  '"prep";accept="message/rfc822";q=0.9, "other"',
  '"prep"; accept="message/rfc822"',
  '"prep";accept=application/ld+json;q=1, "sse";q=0.5, "websub";q=0.1',
];
const ACCEPT_EVENTS_EXTENDED = [
  '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
  '"prep";accept=("message/rfc822" "text/turtle");q=0.9, "other"',
];
const EVENTS = [
  'protocol="prep", status=200, expires=3600',
  'protocol="prep", status=200, vary="accept", expires="Thu, 07 Nov 2024 15:13:48 GMT"',
];

const WARMUP_MS = 100;
const MEASURE_MS = 300;
const ROUNDS = 5;
const BATCH = 200;

// Keeps results alive so the JIT cannot drop the calls.
let sink = 0;

/** Calls `fn` over all inputs, in batches, for about `ms`; returns calls per second. */
function measure(fn: (input: string) => unknown, inputs: readonly string[], ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < BATCH; i++) {
      const r = fn(inputs[i % inputs.length]!);
      if (r !== undefined) sink++;
    }
    calls += BATCH;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/**
 * Times each function for MEASURE_MS in all, in ROUNDS short slices taken in turn, and
 * reports the median slice: on a shared machine a burst of load then hits both sides
 * alike instead of whichever happened to run during it.
 */
function race(fns: ((input: string) => unknown)[], inputs: readonly string[]): number[] {
  for (const fn of fns) measure(fn, inputs, WARMUP_MS);
  const samples = fns.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, i) => samples[i]!.push(measure(fn, inputs, MEASURE_MS / ROUNDS)));
  }
  return samples.map(median);
}

function compare(
  name: string,
  ours: (input: string) => unknown,
  baseline: (input: string) => unknown,
  inputs: readonly string[],
): BenchResult {
  const [opsPerSec, baselineOpsPerSec] = race([ours, baseline], inputs) as [number, number];
  return { name, opsPerSec, baselineOpsPerSec, ratio: opsPerSec / baselineOpsPerSec };
}

/**
 * Runs the benchmark: our `parseList` on `Accept-Events` values (strict and HDR-2) and
 * `parseDictionary` on `Events` values, with `structured-headers` as the baseline
 * (which cannot parse the HDR-2 inputs, so that row has no baseline).
 *
 * @example
 * ```ts
 * import { benchSfv } from './sfv.js';
 * for (const r of await benchSfv()) console.log(r.name, r.ratio);
 * ```
 */
export async function benchSfv(): Promise<BenchResult[]> {
  const results: BenchResult[] = [
    compare('parseList Accept-Events', (s) => parseList(s), sh.parseList, ACCEPT_EVENTS),
    {
      name: 'parseList Accept-Events HDR-2 (extended)',
      opsPerSec: race([(s) => parseList(s, { extended: true })], ACCEPT_EVENTS_EXTENDED)[0]!,
    },
    compare(
      'parseList Accept-Events, extended on',
      (s) => parseList(s, { extended: true }),
      sh.parseList,
      ACCEPT_EVENTS,
    ),
    compare('parseDictionary Events', (s) => parseDictionary(s), sh.parseDictionary, EVENTS),
  ];
  if (sink === 0) throw new Error('benchmark produced nothing');
  return Promise.resolve(results);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchSfv();
  const fmt = (n: number | undefined): string =>
    n === undefined ? '—' : Math.round(n).toLocaleString('en-US');
  console.table(
    results.map((r) => ({
      case: r.name,
      'ours ops/s': fmt(r.opsPerSec),
      'structured-headers ops/s': fmt(r.baselineOpsPerSec),
      ratio: r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}x`,
    })),
  );
}
