/**
 * The Prometheus text exposition read back, for the metrics tests: each sample by its name
 * and labels.
 */
export interface Scrape {
  /** A sample's value; labels must match exactly (in any order); undefined if absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Like `value`, but 0 when absent (a labelled counter shows no sample before its first count). */
  count(name: string, labels?: Record<string, string>): number;
  /** Whether `# TYPE name type` is there. */
  typed(name: string, type: string): boolean;
  text: string;
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) types.add(line.slice(7));
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = parseLabels(m[2] ?? '');
    const value = m[3] === 'NaN' ? NaN : Number(m[3]);
    samples.set(key(m[1]!, labels), value);
  }
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.get(key(name, labels));
  return {
    value,
    count: (name, labels) => value(name, labels) ?? 0,
    typed: (name, type) => types.has(`${name} ${type}`),
    text,
  };
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

function key(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${sorted.join(',')}}`;
}
