/**
 * The server benchmarks as a text table: for each scenario and metric, the four servers
 * side by side, then how many times better ours is than each of the others (">1×" = ours
 * better; for "lower is better" metrics that is other ÷ ours).
 */
import { SERVERS, type ServerKind } from '../servers/spawn.js';
import type { ServerRow } from '../scenarios/types.js';
import { fmt, fmtCount, textTable } from './format.js';

interface MetricSpec {
  key: string;
  label: string;
  /** 'lower' or 'higher' is better; 'info' gets no ratio. */
  better: 'lower' | 'higher' | 'info';
}

const M = (key: string, label: string, better: MetricSpec['better']): MetricSpec => ({
  key,
  label,
  better,
});

/** The metrics shown per group and scenario kind. */
function metricsFor(row: ServerRow): MetricSpec[] {
  switch (row.group) {
    case 'fanout':
      return [
        M('cpuUs', 'server CPU µs/delivery', 'lower'),
        M('userUs', '  of which user µs', 'lower'),
        M('sysUs', '  of which kernel µs', 'lower'),
        M('deliveriesPerSec', 'deliveries/s', 'higher'),
        ...(row.scenario === 'one-at-a-time'
          ? [M('p99Ms', 'p99 ms (from response)', 'lower')]
          : []),
        M('socketWritesPerDelivery', 'socket writes/delivery', 'info'),
        M('loadCores', 'load generator cores', 'info'),
      ];
    case 'latency':
      return [
        M('p50Ms', 'p50 ms (from response)', 'lower'),
        M('p99Ms', 'p99 ms (from response)', 'lower'),
        M('maxMs', 'max ms (from response)', 'lower'),
        M('sentp99Ms', 'p99 ms (from request sent)', 'lower'),
        M('cpuUs', 'server CPU µs/delivery', 'lower'),
      ];
    case 'memory':
      return [
        M('rssPerSubKB', 'RSS KB/subscriber', 'lower'),
        M('heapPerSubKB', 'heap KB/subscriber', 'lower'),
        M('externalPerSubKB', 'buffers KB/subscriber', 'info'),
        M('rssMB', 'RSS MB in all', 'lower'),
      ];
    case 'capacity':
      return row.scenario === 'max held'
        ? [M('held', 'subscribers held (all steps passed)', 'higher')]
        : [
            M('p99Ms', 'p99 ms', 'lower'),
            M('cpuUs', 'server CPU µs/delivery', 'lower'),
            M('rssMB', 'RSS MB', 'lower'),
          ];
    case 'resources':
      return [
        M('writesPerSec', 'writes/s', 'higher'),
        M('deliveriesPerSec', 'deliveries/s', 'higher'),
        M('cpuUs', 'server CPU µs/delivery', 'lower'),
        M('cpuPerWriteUs', 'server CPU µs/write', 'lower'),
        M('p99Ms', 'p99 ms (from response)', 'lower'),
      ];
  }
}

function ratio(spec: MetricSpec, ours: number | undefined, other: number | undefined): string {
  if (spec.better === 'info' || ours === undefined || other === undefined) return '';
  if (ours <= 0 || other <= 0) return '';
  const r = spec.better === 'lower' ? other / ours : ours / other;
  return `${r.toFixed(2)}×`;
}

function checkCell(r: ServerRow | undefined): string {
  if (!r) return '';
  if (!r.check) return r.ok ? 'ok' : 'FAIL';
  const c = r.check;
  const bad = [
    c.lost ? `lost ${c.lost}` : '',
    c.duplicated ? `dup ${c.duplicated}` : '',
    c.unexpected ? `extra ${c.unexpected}` : '',
    c.closedEarly ? `closed ${c.closedEarly}` : '',
    c.connectFailed ? `refused ${c.connectFailed}` : '',
  ].filter(Boolean);
  return bad.length ? bad.join(',') : c.deliveries === c.expected ? 'ok' : 'missing';
}

/** Renders the rows; notes (failures, caps) are listed under the table. */
export function serverTable(rows: ServerRow[]): string {
  const others: ServerKind[] = SERVERS.filter((s) => s !== 'ours');
  const head = ['group', 'scenario', 'subs', 'metric', ...SERVERS, ...others.map((o) => `vs ${o}`)];
  const body: string[][] = [];
  const notes: string[] = [];
  const keys: string[] = [];
  const groups = new Map<string, ServerRow[]>();
  for (const r of rows) {
    const k = `${r.group}\0${r.scenario}\0${r.subscribers}`;
    if (!groups.has(k)) {
      groups.set(k, []);
      keys.push(k);
    }
    groups.get(k)!.push(r);
  }
  // capacity "max held" rows differ per server in subscribers: merge them into one block.
  const merged = new Map<string, ServerRow[]>();
  const order: string[] = [];
  for (const k of keys) {
    const rs = groups.get(k)!;
    const first = rs[0]!;
    const mk =
      first.group === 'capacity' && first.scenario === 'max held' ? 'capacity\0max held' : k;
    if (!merged.has(mk)) {
      merged.set(mk, []);
      order.push(mk);
    }
    merged.get(mk)!.push(...rs);
  }
  for (const k of order) {
    const rs = merged.get(k)!;
    const first = rs[0]!;
    const by = new Map(rs.map((r) => [r.server, r]));
    const subs =
      first.scenario === 'max held'
        ? ''
        : fmtCount(first.subscribers) +
          (first.requested ? ` (of ${fmtCount(first.requested)})` : '');
    let label = true;
    for (const spec of metricsFor(first)) {
      const values = SERVERS.map((s) => by.get(s)?.metrics[spec.key]);
      if (values.every((v) => v === undefined) && !SERVERS.some((s) => by.get(s) && !by.get(s)!.ok))
        continue;
      const ours = by.get('ours')?.metrics[spec.key];
      body.push([
        label ? first.group : '',
        label ? first.scenario : '',
        label ? subs : '',
        spec.label,
        ...SERVERS.map((s) => {
          const r = by.get(s);
          if (!r) return '';
          const v = r.metrics[spec.key];
          return v === undefined ? (Object.keys(r.metrics).length === 0 ? 'FAIL' : '') : fmt(v);
        }),
        ...others.map((o) => ratio(spec, ours, by.get(o)?.metrics[spec.key])),
      ]);
      label = false;
    }
    if (first.group !== 'memory' && first.scenario !== 'max held')
      body.push([
        '',
        '',
        '',
        'each delivered once, in order',
        ...SERVERS.map((s) => checkCell(by.get(s))),
        '',
        '',
        '',
      ]);
    for (const r of rs)
      if (r.note)
        notes.push(`${r.group} ${r.scenario} ${fmtCount(r.subscribers)} ${r.server}: ${r.note}`);
  }
  return textTable(head, body, 4, notes);
}
