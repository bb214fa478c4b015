/** Number formatting shared by the table and the chart. */

/** 3 significant digits; k/M suffixes from 10 000 on. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '';
  if (!Number.isFinite(n)) return '∞';
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(n)) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A subscriber count: 1000 → 1k, 19500 → 19.5k. */
export function fmtCount(n: number): string {
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(n);
}

/**
 * Rows of cells as aligned text: a header, a rule, the rows (columns from `rightFrom` on
 * right-aligned), then the notes, if any.
 */
export function textTable(
  head: string[],
  body: string[][],
  rightFrom: number,
  notes: string[] = [],
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  if (notes.length) out.push('', 'Notes:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}
