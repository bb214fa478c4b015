/**
 * What one idle subscriber costs in a server's heap, by kind of object: takes a V8 heap
 * snapshot of the server before and after opening N subscriptions, and lists the constructor
 * names whose retained count and self size grew, per subscriber.
 *
 *   node --import tsx bench/heap-diff.ts [ours|express-prep|naive|net-floor] [N]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadPool } from './load/pool.js';
import { Session } from './scenarios/session.js';
import { SERVERS, type ServerKind } from './servers/spawn.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size per (type, name) of the objects in a .heapsnapshot file. */
export function histogram(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    let name = snap.strings[snap.nodes[i + iName]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string')
      name = '(string)';
    if (type === 'code') name = '(code)';
    const key = `${type}:${name.slice(0, 60)}`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += snap.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kind = (process.argv[2] ?? 'ours') as ServerKind;
  if (!(SERVERS as readonly string[]).includes(kind)) throw new Error(`unknown server ${kind}`);
  const n = Number(process.argv[3] ?? 2000);
  const pool = await LoadPool.start(1);
  const s = await Session.open(kind, pool);
  const a = join(tmpdir(), `heap-${kind}-0.heapsnapshot`);
  const b = join(tmpdir(), `heap-${kind}-${n}.heapsnapshot`);
  try {
    await s.setup(['/r']);
    // Warm the request paths first, so code and caches do not count as per-subscriber.
    await s.subscribe(['/r'], 50);
    await s.write('/r');
    await pool.until(10_000);
    await s.server.heapSnapshot(a);
    await s.subscribe(['/r'], n);
    await s.server.heapSnapshot(b);
    const h0 = histogram(a);
    const h1 = histogram(b);
    const rows = [...h1].map(([k, v]) => {
      const o = h0.get(k) ?? { count: 0, size: 0 };
      return { k, count: (v.count - o.count) / n, bytes: (v.size - o.size) / n };
    });
    rows.sort((x, y) => y.bytes - x.bytes);
    const total = rows.reduce((t, r) => t + r.bytes, 0);
    console.log(`${kind}: heap growth per subscriber ${total.toFixed(0)} B (self sizes)`);
    for (const r of rows.slice(0, 30))
      console.log(
        `${r.bytes.toFixed(0).padStart(6)} B  ${r.count.toFixed(2).padStart(6)} objects  ${r.k}`,
      );
  } finally {
    await s.close();
    pool.stop();
    rmSync(a, { force: true });
    rmSync(b, { force: true });
  }
}
