/**
 * One server under test with its subscribers: starts the server process, creates the
 * resources, opens subscriptions through the load pool, makes writes over keep-alive
 * connections recording when each response came back, and measures server CPU, memory and
 * the load generator's own CPU around each phase.
 */
import { nowMs } from '../load/clock.js';
import type { ConnectResult, LoadCheck, LoadPool } from '../load/pool.js';
import { HttpWriter, type WriteResult } from '../load/writer.js';
import { startServerProcess, type ServerHandle, type ServerKind } from '../servers/spawn.js';
import type { ProcessStats } from '../servers/child.js';
import type { DeliveryCheck } from './types.js';

/** What a phase cost, and what it delivered. */
export interface PhaseCost {
  wallMs: number;
  /** Server CPU, µs. */
  serverUser: number;
  serverSys: number;
  /** Load generator CPU (all subscriber processes), µs. */
  loadCpu: number;
  /** Notifications parsed by the subscribers during the phase. */
  deliveries: number;
  /** Server-reported counters (ours: hub stats) at the end, minus at the start. */
  extra: Record<string, number>;
}

/** Per-delivery figures of a phase. */
export function perDelivery(cost: PhaseCost): Record<string, number> {
  const d = Math.max(1, cost.deliveries);
  const out: Record<string, number> = {
    cpuUs: (cost.serverUser + cost.serverSys) / d,
    userUs: cost.serverUser / d,
    sysUs: cost.serverSys / d,
    deliveriesPerSec: (cost.deliveries / cost.wallMs) * 1000,
    loadCpuUs: cost.loadCpu / d,
    /** Cores the load generator used on average (2 is all of this machine). */
    loadCores: cost.loadCpu / 1000 / cost.wallMs,
    serverCores: (cost.serverUser + cost.serverSys) / 1000 / cost.wallMs,
  };
  if (cost.extra.writes !== undefined && cost.extra.deliveries)
    out.socketWritesPerDelivery = cost.extra.writes / cost.extra.deliveries;
  // prep proxy: what a request to its upstream took, sent to response head (the write path's
  // round trip, and the reads a poll or a delta needs).
  if (cost.extra.upstreamRequests)
    out.upstreamRoundTripMs = cost.extra.upstreamHeadUs! / cost.extra.upstreamRequests / 1000;
  return out;
}

/** p50, p99, max (ms) of sorted samples. */
export function percentiles(sorted: Float64Array, prefix = ''): Record<string, number> {
  if (sorted.length === 0) return {};
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    [`${prefix}p50Ms`]: at(0.5),
    [`${prefix}p99Ms`]: at(0.99),
    [`${prefix}maxMs`]: sorted[sorted.length - 1]!,
  };
}

export class Session {
  readonly kind: ServerKind;
  readonly server: ServerHandle;
  readonly pool: LoadPool;
  /** Writes made per path since the subscriptions began (setup writes excluded). */
  readonly writes: Record<string, number> = {};
  /** Per path: when the response to its n-th write arrived, and when it was sent. */
  readonly responseTimes: Record<string, number[]> = {};
  readonly sentTimes: Record<string, number[]> = {};
  connectFailed = 0;
  readonly #writers: HttpWriter[] = [];
  /** The cumulative check at the end of the previous phase. */
  #lastCheck: DeliveryCheck | undefined;

  private constructor(kind: ServerKind, server: ServerHandle, pool: LoadPool) {
    this.kind = kind;
    this.server = server;
    this.pool = pool;
  }

  static async open(kind: ServerKind, pool: LoadPool): Promise<Session> {
    const server = await startServerProcess(kind);
    return new Session(kind, server, pool);
  }

  writer(i: number): HttpWriter {
    while (this.#writers.length <= i)
      this.#writers.push(new HttpWriter(this.server.url, { timeoutMs: 60_000 }));
    return this.#writers[i]!;
  }

  /**
   * Opens writer connections 0..count-1 now (or keeps them open): a burst then measures the
   * server, not TCP set-up (a connection idle for a second is replaced, see HttpWriter).
   */
  async ready(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, i) => this.writer(i).ready()));
  }

  /** Creates the resources (before any subscription: not counted as writes). */
  async setup(paths: string[]): Promise<void> {
    for (const p of paths) {
      const r = await this.writer(0).request('PUT', p, '{"seq":0}', {
        'Content-Type': 'application/json',
      });
      if (r.status >= 300) throw new Error(`${this.kind}: PUT ${p} answered ${r.status}`);
    }
  }

  /** Opens `count` more subscriptions spread round-robin over `paths`. */
  async subscribe(paths: string[], count: number): Promise<ConnectResult> {
    const r = await this.pool.connect({
      url: this.server.url,
      paths,
      count,
      writesSoFar: this.writes,
    });
    this.connectFailed += r.failed;
    return r;
  }

  /** One PUT to `path` on writer connection `conn`; the body carries the write's number. */
  async write(path: string, conn = 0): Promise<WriteResult> {
    // Numbered before sending: concurrent writes (bursts) each get their own.
    const seq = (this.writes[path] ?? 0) + 1;
    this.writes[path] = seq;
    const r = await this.writer(conn).request('PUT', path, `{"seq":${seq}}`, {
      'Content-Type': 'application/json',
    });
    if (r.status >= 300) throw new Error(`${this.kind}: PUT ${path} answered ${r.status}`);
    // Writes to one path that do not overlap commit in the order they were made, so the
    // n-th Event-ID a subscriber sees for the path is the n-th write (see src/cli/bench-worker.ts).
    (this.responseTimes[path] ??= [])[seq - 1] = r.at;
    (this.sentTimes[path] ??= [])[seq - 1] = r.sentAt;
    this.pool.noteWrite(path);
    return r;
  }

  /** Marks a write whose time is not meaningful for latency (concurrent with others). */
  forgetTimes(path: string, from: number): void {
    const r = this.responseTimes[path];
    const s = this.sentTimes[path];
    for (let i = from; r && s && i < r.length; i++) r[i] = s[i] = NaN;
  }

  async stats(): Promise<ProcessStats> {
    return this.server.stats();
  }

  /** Runs `fn` and reports what it cost the server and the load generator. */
  async measure(fn: () => Promise<void>, resetSamples = true): Promise<PhaseCost> {
    const s0 = await this.server.stats();
    const l0 = await this.pool.mark(resetSamples);
    const t0 = nowMs();
    await fn();
    const wallMs = nowMs() - t0;
    const s1 = await this.server.stats();
    const l1 = await this.pool.mark();
    const extra: Record<string, number> = {};
    for (const [k, v] of Object.entries(s1.extra ?? {})) extra[k] = v - (s0.extra?.[k] ?? 0);
    return {
      wallMs,
      serverUser: s1.cpu.user - s0.cpu.user,
      serverSys: s1.cpu.system - s0.cpu.system,
      loadCpu: l1.cpuMicros - l0.cpuMicros,
      deliveries: l1.deliveries - l0.deliveries,
      extra,
    };
  }

  /**
   * Checks every subscriber against the writes made; returns what changed since the previous
   * check (so per phase), and the phase's latencies from each write's response (and send).
   */
  async check(
    withLatency: boolean,
  ): Promise<{ check: DeliveryCheck; fromResponse?: LoadCheck; fromSent?: Float64Array }> {
    const times = (src: Record<string, number[]>) =>
      Object.fromEntries(
        Object.entries(src).map(([p, t]) => [p, Float64Array.from(t, (v) => v ?? NaN)]),
      );
    const fromResponse = await this.pool.check(
      this.writes,
      withLatency ? times(this.responseTimes) : undefined,
    );
    const fromSent = withLatency
      ? (await this.pool.check(this.writes, times(this.sentTimes))).latencies
      : undefined;
    const total: DeliveryCheck = {
      expected: this.pool.expected,
      deliveries: fromResponse.deliveries,
      lost: fromResponse.lost,
      duplicated: fromResponse.duplicated,
      unexpected: fromResponse.unexpected,
      closedEarly: fromResponse.closedEarly,
      connectFailed: this.connectFailed,
    };
    // This phase's share (a session runs several phases on the same subscribers).
    const last = this.#lastCheck;
    this.#lastCheck = total;
    const check = { ...total };
    if (last)
      for (const k of Object.keys(check) as Array<keyof DeliveryCheck>)
        check[k] = Math.max(0, total[k] - last[k]);
    return { check, fromResponse, ...(fromSent ? { fromSent } : {}) };
  }

  /**
   * Ends the session: the server first (so its side of every connection closes first and
   * the subscribers' source ports do not linger in TIME_WAIT), then the subscriptions.
   */
  async close(): Promise<void> {
    for (const w of this.#writers) w.close();
    await this.server.stop().catch(() => undefined);
    await this.pool.close();
  }
}

/** Whether a check shows a correct run. */
export function clean(c: DeliveryCheck): boolean {
  return (
    c.lost === 0 &&
    c.duplicated === 0 &&
    c.unexpected === 0 &&
    c.closedEarly === 0 &&
    c.connectFailed === 0 &&
    c.deliveries === c.expected
  );
}

/** Sleeps (bounded by the caller's own counts). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
