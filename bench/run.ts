/**
 * `npm run bench`: every benchmark side by side in one run, printed as a table of
 * absolute figures and ratios, and written to bench/results/ as JSON.
 *
 *   npm run bench                 all scenarios
 *   npm run bench -- --quick      a short run (keeps the harness working; a test runs it)
 *   npm run bench -- codec        only the named group(s)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchAcceptEvents } from './accept-events.js';
import { benchMultipart } from './multipart.js';
import { benchSfv } from './sfv.js';

interface Row {
  group: string;
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
  note?: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('-'));
const want = (group: string) => only.length === 0 || only.includes(group);

async function codec(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const r of await benchSfv())
    rows.push({
      group: 'codec',
      name: `sfv ${r.name}`,
      value: r.opsPerSec,
      unit: 'ops/s',
      ...(r.baselineOpsPerSec !== undefined
        ? { baseline: 'structured-headers', baselineValue: r.baselineOpsPerSec }
        : {}),
      ...(r.ratio !== undefined ? { ratio: r.ratio } : {}),
    });
  for (const r of await benchAcceptEvents(quick ? { ms: 100 } : {}))
    rows.push({
      group: 'codec',
      name: `accept-events ${r.name}`,
      value: r.opsPerSec,
      unit: 'ops/s',
      ...(r.baselineOpsPerSec !== undefined
        ? { baseline: 'structured-headers', baselineValue: r.baselineOpsPerSec }
        : {}),
      ...(r.ratio !== undefined ? { ratio: r.ratio } : {}),
    });
  for (const r of await benchMultipart())
    rows.push({
      group: 'codec',
      name: `multipart ${r.name}`,
      value: r.partsPerSec ?? r.mbPerSec ?? 0,
      unit: r.partsPerSec !== undefined ? 'parts/s' : 'MB/s',
      ...(r.baseline !== undefined ? { baseline: r.baseline } : {}),
      ...(r.baselinePartsPerSec !== undefined ? { baselineValue: r.baselinePartsPerSec } : {}),
      ...(r.ratio !== undefined ? { ratio: r.ratio } : {}),
      ...(r.note !== undefined ? { note: r.note } : {}),
    });
  return rows;
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(n < 10 ? 2 : 0);
}

function table(rows: Row[]): string {
  const head = ['group', 'scenario', 'ours', 'unit', 'baseline', 'baseline value', 'ratio'];
  const body = rows.map((r) => [
    r.group,
    r.name,
    fmt(r.value),
    r.unit,
    r.baseline ?? '',
    fmt(r.baselineValue),
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  quick,
};
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ' (quick run)' : ''}`,
);

const rows: Row[] = [];
if (want('codec')) rows.push(...(await codec()));
console.log(table(rows));

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, quick ? 'latest-quick.json' : 'latest.json');
writeFileSync(file, JSON.stringify({ machine, rows }, null, 2) + '\n');
console.log(`\nWritten to ${file}`);
