/**
 * `prep bench URL`: load-tests a PREP server already running on this machine. Maps flags to
 * `benchUrl()` options (bench-load.ts) and renders its figures as a table (and JSON).
 */
import { lookup } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseCommandLine, usageError } from './args.js';
import { benchUrl, type PhaseResult, type UrlBenchResult } from './bench-load.js';
import { parseHeaderOptions } from './header-option.js';
import { cannotReach, isNetworkError } from './network-error.js';

const COMMAND = 'prep bench';

const HELP = `Usage: prep bench URL [options]

Load-tests a PREP server already running on this machine (loopback only): opens
N subscriptions to one resource (creating it if needed), writes to it, parses
every notification and checks that each arrived exactly once, in order. Writes
replace the resource with {"seq":n}: point it at a resource you may overwrite.

Phases: one write at a time (each waits until every subscriber has the last
one; or paced with --rate), then bursts of concurrent writes (one connection
each). Per phase: deliveries/s; latency p50/p99/max from the response to each
write to each notification parsed (bursts: from the burst's first response);
lost and duplicated notifications.

Options:
  --resource PATH     the resource (default: URL's path, or /bench/r if it has none)
  --subscribers N     subscriptions to open (default 100)
  --writes N          writes per phase (default 20)
  --rate N            writes per second in the first phase (default: as fast as
                      delivered)
  --burst N           concurrent writes per burst (default 10; 0: no bursts)
  --processes N       subscriber processes (default 2)
  --header 'N: v'     an extra request header for every request, e.g.
                      'Authorization: Bearer x' (repeatable)
  --timeout SECONDS   time allowed for a write to reach every subscriber (default 30)
  --json FILE         also write the figures as JSON to FILE
  -h, --help          show this help

Exit status: 0 every notification arrived once, in order; 1 some were lost,
duplicated or late, a subscription failed, or the server failed; 2 usage error
(a bad flag, or a URL that is not http:// on a loopback address).
`;

/** Exit statuses of `prep bench`. */
export const BENCH_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * `prep bench URL [options]`: resolves with the exit status; a usage error or a failure
 * writes one line to stderr.
 *
 * @example
 * ```ts
 * process.exitCode = await bench(['http://127.0.0.1:8080/r', '--subscribers', '1000']);
 * ```
 */
export async function bench(argv: string[]): Promise<number> {
  const fail = (message: string, code: number = BENCH_EXIT.usage): number => {
    if (code === BENCH_EXIT.usage) return usageError(COMMAND, message);
    process.stderr.write(`${COMMAND}: ${message}\n`);
    return code;
  };
  const parsed = parseCommandLine(
    {
      name: COMMAND,
      positionals: true,
      help: HELP,
      options: {
        resource: { type: 'string' },
        subscribers: { type: 'string' },
        writes: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        processes: { type: 'string' },
        header: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    argv,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (parsed.positionals.length !== 1) return fail('expects one URL');
  let url: URL;
  try {
    url = new URL(parsed.positionals[0]!);
  } catch {
    return fail(`not a URL: ${parsed.positionals[0]}`);
  }
  if (url.protocol !== 'http:')
    return fail(`only http:// URLs (the load generator speaks HTTP/1.1), got ${url.protocol}//`);
  const numbers: Record<string, number> = {};
  for (const [name, fallback, min] of [
    ['subscribers', 100, 1],
    ['writes', 20, 1],
    ['burst', 10, 0],
    ['processes', 2, 1],
    ['timeout', 30, 1],
    ['rate', 0, 0],
  ] as const) {
    const raw = v[name];
    const n = raw === undefined ? fallback : Number(raw);
    const integer = name !== 'rate' && name !== 'timeout';
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      return fail(`--${name} expects ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${raw}`);
    numbers[name] = n;
  }
  const parsedHeaders = parseHeaderOptions(v.header);
  if (typeof parsedHeaders === 'string') return fail(parsedHeaders);
  const headers: Record<string, string> = Object.fromEntries(parsedHeaders);

  // Loopback only: a load test is not something to aim at someone else's server.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let address: string;
  try {
    address = isIP(host) ? host : (await lookup(host)).address;
  } catch {
    return fail(`cannot resolve ${host}`);
  }
  const v4 = isIP(address) === 4;
  if (!(v4 ? address.startsWith('127.') : address === '::1'))
    return fail(`refusing ${url.host}: prep bench only runs against a loopback address`);
  const base = `http://${v4 ? address : `[${address}]`}${url.port ? `:${url.port}` : ''}`;
  const path = v.resource ?? (url.pathname === '/' ? '/bench/r' : url.pathname);
  if (!path.startsWith('/')) return fail(`--resource expects a path starting with /, got ${path}`);

  let result: UrlBenchResult;
  try {
    result = await benchUrl({
      url: base,
      path,
      subscribers: numbers.subscribers!,
      writes: numbers.writes!,
      burst: numbers.burst!,
      processes: numbers.processes!,
      timeoutMs: numbers.timeout! * 1000,
      ...(numbers.rate ? { rate: numbers.rate } : {}),
      // 127.0.0.2, .3, ... give more source ports than one address has.
      spreadAddresses: v4,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      log: (line) => process.stderr.write(`prep bench: ${line}\n`),
    });
  } catch (e) {
    const message = isNetworkError(e)
      ? cannotReach(`${base}${path}`, e)
      : (e as Error).message.split('\n')[0]!;
    return fail(message, BENCH_EXIT.failed);
  }
  process.stdout.write(render(result));
  if (v.json) writeFileSync(v.json, JSON.stringify(result, null, 2) + '\n');
  if (!result.ok) {
    const broken = result.phases.filter((p) => p.timedOut || p.closedEarly > 0);
    return fail(
      `not every notification arrived once, in order: ${result.lost} lost, ${result.duplicated} duplicated` +
        (result.connect.failed > 0 ? `, ${result.connect.failed} subscriptions failed` : '') +
        (broken.length > 0 ? `, ${broken.map((p) => p.name).join(' and ')} incomplete` : ''),
      BENCH_EXIT.failed,
    );
  }
  return BENCH_EXIT.ok;
}

/** The results as a table. */
function render(r: UrlBenchResult): string {
  const ms = (x: number | undefined) =>
    x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1);
  const rate = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
  const rows: string[][] = [
    [
      'phase',
      'writes',
      'deliveries',
      'deliveries/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'lost',
      'duplicated',
    ],
    ...r.phases.map((p: PhaseResult) => [
      p.name,
      String(p.writes),
      `${p.deliveries}${p.deliveries === p.expected ? '' : ` of ${p.expected}`}`,
      rate(p.deliveriesPerSec),
      ms(p.p50Ms),
      ms(p.p99Ms),
      ms(p.maxMs),
      String(p.lost),
      String(p.duplicated),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return (
    `${r.url}${r.path}: ${r.subscribers} subscribers` +
    (r.connect.failed > 0 ? ` (${r.connect.failed} failed: ${r.connect.errors.join('; ')})` : '') +
    `\n${line(rows[0]!)}\n${rows.slice(1).map(line).join('\n')}\n` +
    `latency: from the response to each write to each notification parsed (bursts: from the burst's first response)\n`
  );
}
