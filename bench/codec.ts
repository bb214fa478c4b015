/** The `codec` group of `npm run bench`: the micro-benchmarks of the core codecs. */
import { benchAcceptEvents } from './accept-events.js';
import { benchDelta } from './delta.js';
import { benchMultipart } from './multipart.js';
import { benchSfv } from './sfv.js';

/** One codec benchmark row: ours, and a library baseline where one exists. */
export interface CodecRow {
  group: string;
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
  note?: string;
}

export async function codec(quick: boolean): Promise<CodecRow[]> {
  const rows: CodecRow[] = [];
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
  for (const r of benchDelta(quick ? { ms: 50, items: 10_000 } : {}))
    rows.push({
      group: 'codec',
      name: `delta ${r.name}`,
      value: r.opsPerSec,
      unit: 'ops/s',
      ...(r.baselineOpsPerSec !== undefined
        ? { baseline: 'fast-json-patch', baselineValue: r.baselineOpsPerSec }
        : {}),
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

export function codecTable(rows: CodecRow[]): string {
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
