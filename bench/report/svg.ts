/**
 * `bench/results/fanout.svg`: server CPU per delivery and p99 (one write at a time) against
 * the subscriber count, ours vs express-prep vs the naive ceiling vs the net floor.
 * Hand-written SVG, no dependency; opens in any browser.
 */
import { SERVERS, type ComparedKind } from '../servers/spawn.js';
import type { ServerRow } from '../scenarios/types.js';
import { fmt, fmtCount } from './format.js';

const COLORS: Record<ComparedKind, string> = {
  ours: '#d62728',
  proxy: '#ff7f0e',
  'express-prep': '#1f77b4',
  naive: '#7f7f7f',
  'net-floor': '#2ca02c',
};
const DASH: Record<ComparedKind, string> = {
  ours: '',
  proxy: '8 3',
  'express-prep': '',
  naive: '6 4',
  'net-floor': '2 3',
};

interface Panel {
  title: string;
  unit: string;
  key: string;
  goal?: { value: number; label: string };
  /** Logarithmic y axis (values spanning decades). */
  log?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rounds a maximum up to a "nice" axis end (1, 2, 2.5, 5 × 10^k). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function fanoutSvg(rows: ServerRow[], caption: string): string {
  const data = rows.filter((r) => r.group === 'fanout' && r.scenario === 'one-at-a-time' && r.ok);
  const sizes = [...new Set(data.map((r) => r.subscribers))].sort((a, b) => a - b);
  const panels: Panel[] = [
    {
      title: 'Server CPU per delivery (one write at a time)',
      unit: 'µs',
      key: 'cpuUs',
      goal: { value: 5, label: 'goal ≤ 5 µs' },
    },
    {
      title: 'p99, write’s response → each notification (one at a time)',
      unit: 'ms',
      key: 'p99Ms',
      goal: { value: 50, label: 'goal ≤ 50 ms (at 10k, 2 writes/s)' },
      log: true,
    },
  ];
  const W = 1000;
  const H = 440;
  const pw = 400;
  const ph = 290;
  const top = 70;
  const lefts = [80, 580];
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">PREP fan-out: one resource, N subscribers</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${esc(caption)}</text>`,
  );
  const xs = sizes.length > 1 ? sizes : [...sizes, (sizes[0] ?? 1) * 10];
  const lx0 = Math.log10(Math.min(...xs));
  const lx1 = Math.log10(Math.max(...xs));
  panels.forEach((panel, pi) => {
    const left = lefts[pi]!;
    const values = data
      .map((r) => r.metrics[panel.key])
      .filter((v): v is number => v !== undefined);
    const positive = values.filter((v) => v > 0);
    const lo = panel.log
      ? 10 ** Math.floor(Math.log10(Math.min(...positive, panel.goal?.value ?? Infinity)))
      : 0;
    const ymax = panel.log
      ? 10 ** Math.ceil(Math.log10(Math.max(...positive, panel.goal?.value ?? 0, lo * 10)))
      : niceMax(Math.max(...values, panel.goal?.value ?? 0) * 1.08);
    const X = (n: number) => left + ((Math.log10(n) - lx0) / Math.max(1e-9, lx1 - lx0)) * pw;
    const Y = panel.log
      ? (v: number) =>
          top +
          ph -
          ((Math.log10(Math.min(Math.max(v, lo), ymax)) - Math.log10(lo)) /
            (Math.log10(ymax) - Math.log10(lo))) *
            ph
      : (v: number) => top + ph - (Math.min(v, ymax) / ymax) * ph;
    parts.push(
      `<text x="${left + pw / 2}" y="${top - 10}" text-anchor="middle" font-weight="600">${esc(panel.title)}</text>`,
      `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    );
    const ticks = panel.log
      ? Array.from({ length: Math.round(Math.log10(ymax / lo)) + 1 }, (_, i) => lo * 10 ** i)
      : Array.from({ length: 6 }, (_, i) => (ymax * i) / 5);
    for (const v of ticks) {
      const y = Y(v);
      parts.push(
        `<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#333">${fmt(v)}</text>`,
      );
    }
    parts.push(
      `<text x="${left - 50}" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 ${left - 50} ${top + ph / 2})">${esc(panel.unit)}${panel.log ? ' (log scale)' : ''}</text>`,
    );
    for (const n of sizes)
      parts.push(
        `<line x1="${X(n)}" y1="${top}" x2="${X(n)}" y2="${top + ph}" stroke="#eee"/>`,
        `<text x="${X(n)}" y="${top + ph + 16}" text-anchor="middle">${fmtCount(n)}</text>`,
      );
    parts.push(
      `<text x="${left + pw / 2}" y="${top + ph + 34}" text-anchor="middle" fill="#333">subscribers (log scale)</text>`,
    );
    if (panel.goal && panel.goal.value <= ymax && panel.goal.value >= lo) {
      const y = Y(panel.goal.value);
      parts.push(
        `<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#d62728" stroke-opacity="0.5" stroke-dasharray="8 4"/>`,
        `<text x="${left + pw - 4}" y="${y - 4}" text-anchor="end" fill="#d62728" fill-opacity="0.8">${esc(panel.goal.label)}</text>`,
      );
    }
    for (const kind of SERVERS) {
      const pts = data
        .filter((r) => r.server === kind && r.metrics[panel.key] !== undefined)
        .sort((a, b) => a.subscribers - b.subscribers)
        .map((r) => [X(r.subscribers), Y(r.metrics[panel.key]!), r.metrics[panel.key]!] as const);
      if (pts.length === 0) continue;
      parts.push(
        `<polyline fill="none" stroke="${COLORS[kind]}" stroke-width="${kind === 'ours' ? 3 : 2}"${DASH[kind] ? ` stroke-dasharray="${DASH[kind]}"` : ''} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`,
      );
      for (const [x, y, v] of pts)
        parts.push(
          `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${COLORS[kind]}"><title>${kind}: ${fmt(v)} ${esc(panel.unit)}</title></circle>`,
        );
    }
  });
  SERVERS.forEach((kind, i) => {
    const x = 120 + i * 210;
    const y = H - 22;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 30}" y2="${y}" stroke="${COLORS[kind]}" stroke-width="${kind === 'ours' ? 3 : 2}"${DASH[kind] ? ` stroke-dasharray="${DASH[kind]}"` : ''}/>`,
      `<text x="${x + 36}" y="${y + 4}">${esc(kind === 'naive' ? 'naive (res.write ceiling)' : kind === 'net-floor' ? 'net floor (socket.write)' : kind)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
