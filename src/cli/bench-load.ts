/**
 * The load generator of `prep bench`, against any PREP server by URL: opens N subscriptions
 * to one resource from subscriber processes on raw sockets, then writes to it in phases (one
 * at a time, each waited for until every subscriber has it, or at a fixed rate; then bursts
 * of concurrent writes), and reports per phase deliveries/s, the latency from each write's
 * response to each notification parsed, and whether every notification arrived exactly
 * once and in order. The server's own CPU is not visible from here (bench/run.ts in a
 * checkout measures it).
 */
import { LoadPool, type ConnectResult } from './bench-pool.js';
import { HttpWriter, nowMs } from './bench-writer.js';

/** Options of {@link benchUrl}. */
export interface UrlBenchOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (its path is ignored: see `path`). */
  url: string;
  /** The resource watched and written, e.g. `/r`. */
  path: string;
  subscribers: number;
  /** Writes per phase. Default 20. */
  writes?: number;
  /**
   * Writes per second in the first phase; default: as fast as delivered (each write waits
   * until every subscriber has the previous one).
   */
  rate?: number;
  /** Concurrent writes per burst in the second phase (one connection each); 0: no bursts. Default 10. */
  burst?: number;
  /** Writes before the measured phases (checked, not measured). Default 2. */
  warmup?: number;
  /** Subscriber processes. Default 2. */
  processes?: number;
  /** Bind subscriptions to 127.0.0.2, .3, ... (IPv4 loopback only). Default true. */
  spreadAddresses?: boolean;
  /** The body of the n-th write. Default `{"seq":n}` as application/json. */
  body?: (n: number) => string;
  contentType?: string;
  /** The `Accept-Events` request field. Default `"prep"`. */
  acceptEvents?: string;
  /** Extra request fields for subscriptions and writes (e.g. authorization). */
  headers?: Record<string, string>;
  /** Time allowed for the writes of a step to reach every subscriber. Default 30 s. */
  timeoutMs?: number;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

/** What one phase measured. */
export interface PhaseResult {
  name: string;
  writes: number;
  /** Notifications due: ready subscribers × writes. */
  expected: number;
  deliveries: number;
  wallMs: number;
  deliveriesPerSec: number;
  /** Load generator CPU per delivery, µs (high values mean it, not the server, was the limit). */
  loadCpuUs: number;
  /**
   * ms from the response to each write to each notification of it parsed; in bursts, whose
   * writes commit in an order the client cannot know, from the burst's first response.
   */
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  lost: number;
  duplicated: number;
  /** Event-IDs beyond the writes made. */
  unexpected: number;
  /** Subscriptions the server ended or broke. */
  closedEarly: number;
  timedOut: boolean;
}

/** What {@link benchUrl} measured. */
export interface UrlBenchResult {
  url: string;
  path: string;
  subscribers: number;
  connect: ConnectResult;
  phases: PhaseResult[];
  lost: number;
  duplicated: number;
  /** Every subscription opened, and every notification arrived once, in order, in time. */
  ok: boolean;
}

/**
 * Benchmarks one resource of a running server.
 *
 * @example
 * ```ts
 * const r = await benchUrl({ url: 'http://127.0.0.1:8080', path: '/r', subscribers: 1000 });
 * console.log(r.phases[0]?.deliveriesPerSec, r.phases[0]?.p99Ms, r.lost);
 * ```
 */
export async function benchUrl(o: UrlBenchOptions): Promise<UrlBenchResult> {
  const writes = o.writes ?? 20;
  const burst = o.burst ?? 10;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const log = o.log ?? (() => undefined);
  const contentType = o.contentType ?? 'application/json';
  const body = o.body ?? ((n: number) => JSON.stringify({ seq: n }));
  const headers = { 'Content-Type': contentType, ...o.headers };
  const pool = await LoadPool.start(o.processes ?? 2);
  const writers = Array.from(
    { length: Math.max(1, burst) },
    () => new HttpWriter(o.url, { timeoutMs }),
  );
  /** Response time of every write since the subscriptions opened (NaN: not meaningful). */
  const times: number[] = [];
  let made = 0;
  const write = async (w: number): Promise<number> => {
    const n = ++made;
    const r = await writers[w]!.request('PUT', o.path, body(n), headers);
    if (r.status >= 300) throw new Error(`PUT ${o.path} answered ${r.status}`);
    pool.noteWrite(o.path);
    return r.at;
  };
  let last = { lost: 0, duplicated: 0, unexpected: 0, closedEarly: 0, deliveries: 0 };
  const phase = async (
    name: string,
    count: number,
    run: () => Promise<boolean>,
  ): Promise<PhaseResult> => {
    const expected0 = pool.expected;
    const l0 = await pool.mark(true);
    const t0 = nowMs();
    const arrived = await run();
    const wallMs = nowMs() - t0;
    const l1 = await pool.mark();
    const c = await pool.check(
      { [o.path]: made },
      { [o.path]: Float64Array.from(times, (v) => v ?? NaN) },
    );
    const at = (q: number) =>
      c.latencies[Math.min(c.latencies.length - 1, Math.floor(q * c.latencies.length))]!;
    const deliveries = l1.deliveries - l0.deliveries;
    const result: PhaseResult = {
      name,
      writes: count,
      expected: pool.expected - expected0,
      deliveries,
      wallMs,
      deliveriesPerSec: (deliveries / wallMs) * 1000,
      loadCpuUs: (l1.cpuMicros - l0.cpuMicros) / Math.max(1, deliveries),
      ...(c.latencies.length > 0 ? { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) } : {}),
      lost: c.lost - last.lost,
      duplicated: c.duplicated - last.duplicated,
      unexpected: c.unexpected - last.unexpected,
      closedEarly: c.closedEarly - last.closedEarly,
      timedOut: !arrived,
    };
    last = c;
    log(`${name}: ${deliveries} deliveries, ${result.lost} lost, ${result.duplicated} duplicated`);
    return result;
  };

  try {
    // The resource must exist before it is subscribed to.
    const head = await writers[0]!.request('HEAD', o.path, '', o.headers ?? {});
    if (head.status === 404) {
      const r = await writers[0]!.request('PUT', o.path, body(0), headers);
      if (r.status >= 300) throw new Error(`PUT ${o.path} answered ${r.status}`);
    } else if (head.status >= 300) throw new Error(`HEAD ${o.path} answered ${head.status}`);
    const connect = await pool.connect({
      url: o.url,
      paths: [o.path],
      count: o.subscribers,
      ...(o.spreadAddresses === false ? { spreadAddresses: false } : {}),
      ...(o.acceptEvents ? { acceptEvents: o.acceptEvents } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
    });
    log(`${connect.ready} subscribers in ${(connect.ms / 1000).toFixed(1)} s`);
    if (connect.ready === 0)
      throw new Error(`no subscription could be opened (${connect.errors.join('; ')})`);
    // Warm-up (JIT, connections): checked, not measured.
    for (let i = 0; i < (o.warmup ?? 2); i++) {
      times.push(NaN);
      await write(0);
      await pool.until(timeoutMs);
    }
    const phases: PhaseResult[] = [];
    const rate = o.rate;
    phases.push(
      await phase(rate ? `${rate} writes/s` : 'one at a time', writes, async () => {
        const t0 = nowMs();
        for (let k = 0; k < writes; k++) {
          if (rate) {
            const wait = t0 + (k * 1000) / rate - nowMs();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          // Writes to one resource never overlap: the k-th Event-ID is the k-th write.
          const slot = times.push(NaN) - 1;
          times[slot] = await write(0);
          if (!rate && !(await pool.until(timeoutMs))) return false;
        }
        return pool.until(timeoutMs);
      }),
    );
    if (burst > 0) {
      const rounds = Math.max(1, Math.ceil(writes / burst));
      phases.push(
        await phase(`bursts of ${burst}`, rounds * burst, async () => {
          for (let r = 0; r < rounds; r++) {
            // Connections open before the burst: it measures the server, not TCP set-up.
            await Promise.all(writers.map((w) => w.ready()));
            const from = times.length;
            for (let k = 0; k < burst; k++) times.push(NaN);
            const answered = await Promise.all(writers.map((_, w) => write(w)));
            const first = Math.min(...answered);
            for (let k = 0; k < burst; k++) times[from + k] = first;
            if (!(await pool.until(timeoutMs))) return false;
          }
          return true;
        }),
      );
    }
    const sum = (f: (p: PhaseResult) => number) => phases.reduce((s, p) => s + f(p), 0);
    const lost = sum((p) => p.lost);
    const duplicated = sum((p) => p.duplicated);
    return {
      url: o.url,
      path: o.path,
      subscribers: connect.ready,
      connect,
      phases,
      lost,
      duplicated,
      ok:
        connect.failed === 0 &&
        lost === 0 &&
        duplicated === 0 &&
        phases.every(
          (p) =>
            !p.timedOut && p.unexpected === 0 && p.closedEarly === 0 && p.deliveries === p.expected,
        ),
    };
  } finally {
    for (const w of writers) w.close();
    await pool.close().catch(() => undefined);
    pool.stop();
  }
}
