/**
 * How fast the server reads `Accept-Events` (HDR-1, HDR-2) and negotiates (REQ-4, HDR-7):
 * once per notifications request, so it bounds how fast subscriptions can be opened.
 * Compared, on the inputs it can read (no HDR-2 lists), with npm `structured-headers`.
 *
 *     node --import tsx bench/accept-events.ts
 */
import { pathToFileURL } from 'node:url';
import { parseList as stockParseList } from 'structured-headers';
import {
  negotiateNotifications,
  parseAcceptEvents,
  readNotificationAccept,
  selectProtocol,
} from '../packages/client/src/core/events/index.js';
import type { NotificationOffer } from '../packages/client/src/core/events/index.js';
import { parseList } from '../packages/client/src/core/sfv/index.js';

/** One row of the result: ours, and the baseline when there is one (ratio = ours / baseline). */
export interface BenchRow {
  name: string;
  opsPerSec: number;
  baselineOpsPerSec?: number;
  ratio?: number;
}

/** Plain RFC 9651 values, as clients send them: `structured-headers` reads these. */
const STANDARD = [
  '"prep"',
  '"prep"; accept="message/rfc822"',
  '"prep";accept=application/ld+json',
  'PREP; accept=message/rfc822',
  '"other";q=0.9, "prep";accept="text/turtle";q=0.8',
];
/** HDR-2 values (list-valued `accept`), which only our codec reads. */
const EXTENDED = [
  '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
  '"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")',
  '"prep";accept=("application/ld+json";q=0.9 "message/rfc822";delta="text/plain";q=0.5);q=0.9',
];
const OFFERS: NotificationOffer[] = [
  { type: 'message/rfc822', deltas: ['application/json-patch+json', 'text/plain'] },
  { type: 'application/ld+json' },
  { type: 'text/turtle' },
];
const SUPPORTED = ['prep'];

/** What a server does per notifications request; returns something so it is not optimised away. */
function negotiate(header: string): unknown {
  const entries = parseAcceptEvents(header);
  const prep = entries && selectProtocol(entries, SUPPORTED);
  return prep && negotiateNotifications(readNotificationAccept(prep.fields), OFFERS);
}

/**
 * Calls `fn` on each input in turn for about `ms` milliseconds (after a warm-up) and
 * returns inputs processed per second.
 */
function measure(inputs: readonly string[], fn: (input: string) => unknown, ms: number): number {
  let sink = 0;
  const round = () => {
    for (const input of inputs) if (fn(input) !== undefined) sink++;
  };
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) round();
  let rounds = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < 64; i++) round();
    rounds += 64;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink < 0) console.log(sink); // keeps `sink` alive
  return (rounds * inputs.length * 1000) / elapsed;
}

function row(name: string, opsPerSec: number, baselineOpsPerSec?: number): BenchRow {
  const r: BenchRow = { name, opsPerSec: Math.round(opsPerSec) };
  if (baselineOpsPerSec !== undefined) {
    r.baselineOpsPerSec = Math.round(baselineOpsPerSec);
    r.ratio = Math.round((opsPerSec / baselineOpsPerSec) * 100) / 100;
  }
  return r;
}

/**
 * Measures parsing and negotiation of typical `Accept-Events` values, ours next to
 * `structured-headers` where it can parse them, in one run.
 *
 * @example
 * ```ts
 * import { benchAcceptEvents } from './accept-events.js';
 * for (const r of await benchAcceptEvents()) console.log(r.name, r.opsPerSec, r.ratio);
 * ```
 */
export async function benchAcceptEvents(options: { ms?: number } = {}): Promise<BenchRow[]> {
  const ms = options.ms ?? 500;
  // Both parsers must agree the standard inputs are valid, or the comparison is moot.
  for (const input of STANDARD) {
    stockParseList(input);
    if (parseAcceptEvents(input) === undefined) throw new Error(`we cannot parse ${input}`);
  }
  // Ours and the baseline alternate over a few rounds, best of each kept: a machine busy
  // with other work, or JIT state left by the previous measurement, favours neither.
  const compare = (name: string, ours: (input: string) => unknown): BenchRow => {
    let best = 0;
    let baseline = 0;
    for (let round = 0; round < 3; round++) {
      baseline = Math.max(
        baseline,
        measure(STANDARD, (input) => stockParseList(input), ms / 3),
      );
      best = Math.max(best, measure(STANDARD, ours, ms / 3));
    }
    return row(name, best, baseline);
  };
  const rows = [
    compare('sfv parseList, RFC 9651 inputs (vs structured-headers parseList)', (input) =>
      parseList(input, { extended: true }),
    ),
    compare('parseAcceptEvents, RFC 9651 inputs (vs structured-headers parseList)', (input) =>
      parseAcceptEvents(input),
    ),
    row('parse + select + negotiate, RFC 9651 inputs', measure(STANDARD, negotiate, ms)),
    row('parse + select + negotiate, HDR-2 inputs', measure(EXTENDED, negotiate, ms)),
  ];
  // Yield once so a caller running several benches keeps a responsive event loop.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchAcceptEvents();
  console.table(
    rows.map((r) => ({
      bench: r.name,
      'ops/s': r.opsPerSec.toLocaleString('en-US'),
      'baseline ops/s': r.baselineOpsPerSec?.toLocaleString('en-US') ?? '',
      ratio: r.ratio ?? '',
    })),
  );
}
