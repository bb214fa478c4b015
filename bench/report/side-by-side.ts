/**
 * A text table of deployments side by side (the `cluster` and `workers` groups): per
 * scenario and metric, one column per deployment, then optional ratio columns against a
 * base deployment ("how many times better": base ÷ other where lower is better), and the
 * issue's goal.
 */
import { clean } from '../scenarios/session.js';
import type { DeliveryCheck } from '../scenarios/types.js';
import { fmt, textTable } from './format.js';

/** One measured scenario of one deployment. Metric names end in their unit. */
export interface SideBySideRow {
  scenario: string;
  /** The deployment, one of the table's columns. */
  column: string;
  /** Subscribers in all. */
  subscribers: number;
  metrics: Record<string, number>;
  check?: DeliveryCheck;
  ok: boolean;
  note?: string;
}

export interface SideBySideMetric {
  key: string;
  label: string;
  /** Which way is better, for the ratio columns (none: no ratio). */
  better?: 'lower' | 'higher';
  goal?: string;
}

export interface SideBySideColumn {
  name: string;
  /** The header of its ratio column against the base (none: no ratio column). */
  ratio?: string;
}

export function sideBySideTable(
  rows: readonly SideBySideRow[],
  options: {
    columns: readonly SideBySideColumn[];
    /** The metrics shown for a scenario, in order. */
    metrics: (scenario: string) => readonly SideBySideMetric[];
    /** The column the ratios compare against. */
    base?: string;
  },
): string {
  const { columns, base } = options;
  const ratioColumns = base ? columns.filter((c) => c.ratio !== undefined && c.name !== base) : [];
  const head = [
    'scenario',
    'subs',
    'metric',
    ...columns.map((c) => c.name),
    ...ratioColumns.map((c) => c.ratio!),
    'goal',
  ];
  const body: string[][] = [];
  const notes: string[] = [];
  for (const s of [...new Set(rows.map((r) => r.scenario))]) {
    const by = new Map(rows.filter((r) => r.scenario === s).map((r) => [r.column, r]));
    const subs = String([...by.values()][0]?.subscribers ?? '');
    let first = true;
    for (const spec of options.metrics(s)) {
      const cells = columns.map((c) => by.get(c.name)?.metrics[spec.key]);
      if (cells.every((c) => c === undefined)) continue;
      const baseValue = base ? by.get(base)?.metrics[spec.key] : undefined;
      const ratios = ratioColumns.map((c) => {
        const v = by.get(c.name)?.metrics[spec.key];
        if (!spec.better || v === undefined || baseValue === undefined) return '';
        if (!(v > 0 && baseValue > 0)) return '';
        return `${(spec.better === 'lower' ? baseValue / v : v / baseValue).toFixed(2)}×`;
      });
      body.push([
        first ? s : '',
        first ? subs : '',
        spec.label,
        ...cells.map((c) => (c === undefined ? '' : fmt(c))),
        ...ratios,
        spec.goal ?? '',
      ]);
      first = false;
    }
    if ([...by.values()].some((r) => r.check))
      body.push([
        '',
        '',
        'each delivered once, in order',
        ...columns.map((c) => {
          const r = by.get(c.name);
          if (!r?.check) return r ? (r.ok ? 'ok' : 'FAIL') : '';
          const k = r.check;
          return clean(k) ? 'ok' : `lost ${k.lost}, dup ${k.duplicated}, of ${k.expected}`;
        }),
        ...ratioColumns.map(() => ''),
        '',
      ]);
    for (const r of by.values()) if (r.note) notes.push(`${s}, ${r.column}: ${r.note}`);
    if (first)
      body.push([s, subs, 'FAIL', ...columns.map(() => ''), ...ratioColumns.map(() => ''), '']);
  }
  return textTable(head, body, 3, notes);
}
