/**
 * The load generator against any PREP server by URL (for `prep bench URL`): opens N
 * subscriptions to one resource from subscriber processes on raw sockets, makes writes one
 * at a time over a keep-alive connection, waits for each to reach every subscriber, and
 * reports deliveries/s, latency from each write's response, and whether every notification
 * arrived exactly once and in order. The server's own CPU is not visible from here (run it
 * through bench/run.ts for that).
 *
 *   node --import tsx bench/load/index.ts http://127.0.0.1:8080 /r [--subscribers 1000] [--writes 20]
 */
import { nowMs } from './clock.js';
import { LoadPool, type ConnectResult } from './pool.js';
import { HttpWriter } from './writer.js';

export { LoadPool } from './pool.js';
export { HttpWriter } from './writer.js';
export { ResponseScanner } from './stream-parser.js';

/** Options of {@link benchUrl}. */
export interface UrlBenchOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (loopback or any reachable host). */
  url: string;
  /** The resource watched and written, e.g. `/r`. */
  path: string;
  subscribers: number;
  /** Writes, one at a time. Default 20. */
  writes?: number;
  /** Subscriber processes. Default 2. */
  processes?: number;
  /** PUT the resource before subscribing (it must exist). Default true. */
  create?: boolean;
  /** The body of the n-th write. Default `{"seq":n}` as application/json. */
  body?: (n: number) => string;
  contentType?: string;
  /** The `Accept-Events` request field. Default `"prep"`. */
  acceptEvents?: string;
  /** Extra request fields for subscriptions and writes (e.g. authorization). */
  headers?: Record<string, string>;
  /** Time allowed for one write to reach every subscriber. Default 30 s. */
  timeoutMs?: number;
}

/** What {@link benchUrl} measured. */
export interface UrlBenchResult {
  connect: ConnectResult;
  writes: number;
  deliveries: number;
  wallMs: number;
  deliveriesPerSec: number;
  /** Load generator CPU per delivery, µs (high values mean it, not the server, was the limit). */
  loadCpuUs: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  closedEarly: number;
  timedOut: boolean;
}

/**
 * Benchmarks one resource of a running server.
 *
 * @example
 * ```ts
 * const r = await benchUrl({ url: 'http://127.0.0.1:8080', path: '/r', subscribers: 1000 });
 * console.log(r.deliveriesPerSec, r.p99Ms, r.lost);
 * ```
 */
export async function benchUrl(o: UrlBenchOptions): Promise<UrlBenchResult> {
  const writes = o.writes ?? 20;
  const contentType = o.contentType ?? 'application/json';
  const body = o.body ?? ((n: number) => JSON.stringify({ seq: n }));
  const headers = { 'Content-Type': contentType, ...o.headers };
  const pool = await LoadPool.start(o.processes ?? 2);
  const writer = new HttpWriter(o.url, { timeoutMs: o.timeoutMs ?? 30_000 });
  try {
    if (o.create ?? true) {
      const r = await writer.request('PUT', o.path, body(0), headers);
      if (r.status >= 300) throw new Error(`PUT ${o.path} answered ${r.status}`);
    }
    const connect = await pool.connect({
      url: o.url,
      paths: [o.path],
      count: o.subscribers,
      ...(o.acceptEvents ? { acceptEvents: o.acceptEvents } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    const times = new Float64Array(writes);
    const l0 = await pool.mark(true);
    const t0 = nowMs();
    let timedOut = false;
    let made = 0;
    for (; made < writes && !timedOut; made++) {
      const r = await writer.request('PUT', o.path, body(made + 1), headers);
      if (r.status >= 300) throw new Error(`PUT ${o.path} answered ${r.status}`);
      times[made] = r.at;
      pool.noteWrite(o.path);
      if (!(await pool.until(o.timeoutMs ?? 30_000))) timedOut = true;
    }
    const wallMs = nowMs() - t0;
    const l1 = await pool.mark();
    const c = await pool.check({ [o.path]: made }, { [o.path]: times.subarray(0, made) });
    const at = (q: number) =>
      c.latencies[Math.min(c.latencies.length - 1, Math.floor(q * c.latencies.length))];
    const deliveries = l1.deliveries - l0.deliveries;
    return {
      connect,
      writes: made,
      deliveries,
      wallMs,
      deliveriesPerSec: (deliveries / wallMs) * 1000,
      loadCpuUs: (l1.cpuMicros - l0.cpuMicros) / Math.max(1, deliveries),
      ...(c.latencies.length > 0 ? { p50Ms: at(0.5)!, p99Ms: at(0.99)!, maxMs: at(1)! } : {}),
      lost: c.lost,
      duplicated: c.duplicated,
      unexpected: c.unexpected,
      closedEarly: c.closedEarly,
      timedOut,
    };
  } finally {
    writer.close();
    await pool.close().catch(() => undefined);
    pool.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, path] = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  const num = (name: string, d: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  if (!url || !path) {
    console.error(
      'usage: bench/load/index.ts <base URL> <path> [--subscribers N] [--writes N] [--processes N]',
    );
    process.exit(2);
  }
  const r = await benchUrl({
    url,
    path,
    subscribers: num('--subscribers', 1000),
    writes: num('--writes', 20),
    processes: num('--processes', 2),
  });
  console.log(JSON.stringify({ ...r, connect: { ...r.connect } }, null, 2));
  process.exit(r.lost || r.duplicated || r.unexpected || r.timedOut ? 1 : 0);
}
