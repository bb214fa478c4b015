/**
 * `prep serve --workers N` (issue #14): one machine's cores and descriptor tables, every
 * server started as users start it (bin/prep.js, SQLite, `--write-rate off`, subscription
 * limits raised), side by side in one run:
 *
 * - latency: the same subscribers on `--workers 1`, `auto` and 4, all held at once and
 *   measured in turn, interleaved (a burst of other work on the machine hits them alike):
 *   paced writes (p50/p99/max from each write's response to each notification parsed), then
 *   one write at a time, each waiting until every subscriber has it (deliveries/s);
 * - writes: writes/s through 2 workers on one SQLite file vs one process, many concurrent
 *   writer connections, no subscribers, interleaved;
 * - capacity: 100k subscribers on as many workers as keep each under its descriptor limit
 *   (node:cluster hands connections to whichever worker is free, so shares are uneven), from
 *   as many load-generator processes, one write a second: each delivered once, in order;
 *   p50/p99; RSS per subscriber over the workers; cores busy.
 *
 * CPU, memory and descriptors of the primary and its workers come from /proc; the load
 * generator's CPU from its processes; "machine cores busy" from /proc/stat (other work on
 * the machine included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadPool } from '../load/pool.js';
import { childPids, openDescriptors, rssBytes } from '../load/proc.js';
import { HttpWriter } from '../load/writer.js';
import {
  sideBySideTable,
  type SideBySideMetric,
  type SideBySideRow,
} from '../report/side-by-side.js';
import { startPrepServe, type PrepServe } from '../servers/prep-serve.js';
import { clean, percentiles } from './session.js';
import type { DeliveryCheck } from './types.js';
import { measured, pacedWrites, put, writesAsFastAsAnswered } from './write-load.js';

/** One measured scenario of one `--workers` count. Metric names end in their unit. */
export interface WorkersRow extends SideBySideRow {
  workers: number;
}

export interface WorkersPlan {
  /** What `--workers auto` starts here: one per core. */
  auto: number;
  latency: {
    subscribers: number;
    workers: number[];
    /** Load-generator processes per deployment. */
    loadProcesses: number;
    /** Writes before measuring (not counted in the latencies), per deployment. */
    warmup: number;
    writesPerSec: number;
    /** Paced writes per deployment, split over `rounds` interleaved rounds. */
    writes: number;
    /** Then writes one at a time, each waiting for every delivery, per deployment. */
    oneAtATime: number;
    rounds: number;
  };
  writes: { workers: number[]; writers: number; resources: number; writes: number; rounds: number };
  capacity: {
    subscribers: number;
    workers: number;
    loadProcesses: number;
    writes: number;
    writesPerSec: number;
    p99GoalMs: number;
  };
}

/**
 * The plan, full or quick. `fdLimit` is the descriptor limit of a process here: each worker
 * and each load-generator process holds one descriptor per subscription.
 */
export function workersPlan(quick: boolean, fdLimit: number | undefined): WorkersPlan {
  const auto = availableParallelism();
  const perProcess = fdLimit === undefined ? 100_000 : fdLimit - 500;
  const subscribers = quick ? 600 : 100_000;
  const capacity = {
    subscribers,
    // node:cluster gives a connection to a worker that has taken its last one, so a busy
    // worker gets fewer: room for a share ~40 % above the average (10-15 % seen here).
    workers: quick ? 2 : Math.max(2, Math.ceil(subscribers / Math.floor(perProcess * 0.7))),
    // The load generator's processes get exact shares.
    loadProcesses: quick ? 2 : Math.max(2, Math.ceil(subscribers / Math.floor(perProcess * 0.9))),
    writes: quick ? 3 : 20,
    writesPerSec: quick ? 5 : 1,
    p99GoalMs: 1000,
  };
  if (quick)
    return {
      auto,
      latency: {
        subscribers: 200,
        workers: [1, 2],
        loadProcesses: 1,
        warmup: 1,
        writesPerSec: 10,
        writes: 4,
        oneAtATime: 2,
        rounds: 1,
      },
      writes: { workers: [1, 2], writers: 4, resources: 20, writes: 200, rounds: 1 },
      capacity,
    };
  return {
    auto,
    latency: {
      subscribers: 10_000,
      workers: [...new Set([1, auto, 4])].sort((a, b) => a - b),
      loadProcesses: 2,
      warmup: 2,
      writesPerSec: 2,
      writes: 20,
      oneAtATime: 12,
      // Short rounds, interleaved: a burst of other work on the machine hits every count alike.
      rounds: 4,
    },
    writes: { workers: [1, 2], writers: 16, resources: 600, writes: 6000, rounds: 2 },
    capacity,
  };
}

/** `prep serve --workers N` processes, started once each and shared by the scenarios. */
class Servers {
  readonly #dir = mkdtempSync(join(tmpdir(), 'prep-bench-workers-'));
  readonly #running = new Map<number, Promise<PrepServe>>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  get(workers: number): Promise<PrepServe> {
    let s = this.#running.get(workers);
    if (!s) {
      // Each on its own SQLite file (a server's history does not slow another's writes).
      s = startPrepServe(
        ['--data', join(this.#dir, `w${workers}.db`)],
        ['--workers', `${workers}`],
      );
      this.#running.set(workers, s);
      void s.then((x) => this.#log(`workers: --workers ${workers} on ${x.url}`));
    }
    return s;
  }

  /** Stops every server but those of `keep`. */
  async stopAll(keep: readonly number[] = []): Promise<void> {
    for (const [w, s] of this.#running)
      if (!keep.includes(w)) {
        this.#running.delete(w);
        await s.then((x) => x.stop()).catch(() => undefined);
      }
  }

  async close(): Promise<void> {
    await this.stopAll();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A worker restart is logged by the primary; any during a scenario is worth a note. */
function restarts(s: PrepServe): number {
  return s.stderr().match(/exited \(/g)?.length ?? 0;
}

/** The pool's tallies as a check: connect failures and deliveries due included. */
async function deliveryCheck(
  pool: LoadPool,
  writes: Record<string, number>,
  connectFailed: number,
  writeTimes?: Record<string, Float64Array>,
): Promise<{ check: DeliveryCheck; latencies: Float64Array }> {
  const c = await pool.check(writes, writeTimes);
  return {
    check: {
      expected: pool.expected,
      deliveries: c.deliveries,
      lost: c.lost,
      duplicated: c.duplicated,
      unexpected: c.unexpected,
      closedEarly: c.closedEarly,
      connectFailed,
    },
    latencies: c.latencies,
  };
}

/** What phases of one deployment cost, summed over the rounds. */
class Tally {
  wallMs = 0;
  cpuUs = 0;
  loadCpuUs = 0;
  /** Machine CPU, µs (busy cores × wall). */
  machineUs = 0;
  deliveries = 0;
  arrived = true;

  metrics(): Record<string, number> {
    const d = Math.max(1, this.deliveries);
    return {
      deliveriesPerSec: (this.deliveries / this.wallMs) * 1000,
      cpuUs: this.cpuUs / d,
      serverCores: this.cpuUs / 1000 / this.wallMs,
      loadCores: this.loadCpuUs / 1000 / this.wallMs,
      machineCores: this.machineUs / 1000 / this.wallMs,
    };
  }
}

const ONE_AT_A_TIME = 'one write at a time';

/** A deployment with its subscribers on one resource, for the latency scenario. */
interface Held {
  workers: number;
  server: PrepServe;
  pool: LoadPool;
  writer: HttpWriter;
  path: string;
  /** Writes made since the subscriptions were opened; `times[k]`: the response to write k+1. */
  made: number;
  times: number[];
  connectFailed: number;
}

/**
 * One phase of a held deployment: `count` writes paced at `perSec`, or one at a time (each
 * waiting until every subscriber has it) when `perSec` is undefined.
 */
async function phase(h: Held, count: number, perSec: number | undefined, t: Tally): Promise<void> {
  const wrote = (at: number) => {
    h.times[h.made++] = at;
    h.pool.noteWrite(h.path);
  };
  const l0 = await h.pool.mark();
  const m = await measured(h.server.cpuUs, async () => {
    if (perSec !== undefined)
      await pacedWrites(h.writer, h.path, { from: h.made, count, perSec }, (r) => wrote(r.at));
    else
      for (let k = 0; k < count; k++) {
        wrote((await put(h.writer, h.path, h.made + 1)).at);
        if (!(await h.pool.until(60_000))) return false;
      }
    return h.pool.until(60_000);
  });
  const l1 = await h.pool.mark();
  t.wallMs += m.wallMs;
  t.cpuUs += m.cpuUs;
  t.machineUs += m.machineCores * m.wallMs * 1000;
  t.loadCpuUs += l1.cpuMicros - l0.cpuMicros;
  t.deliveries += l1.deliveries - l0.deliveries;
  t.arrived &&= m.value;
}

async function latencyScenarios(
  plan: WorkersPlan['latency'],
  servers: Servers,
  log: (line: string) => void,
): Promise<WorkersRow[]> {
  const paced = `latency, ${plan.writesPerSec} writes/s`;
  const oneAtATime = ONE_AT_A_TIME;
  const rows: WorkersRow[] = [];
  const held: Held[] = [];
  const failed = (workers: number, err: unknown) => {
    const note = (err as Error).message;
    log(`workers: --workers ${workers} latency FAILED ${note}`);
    for (const scenario of [paced, oneAtATime])
      rows.push({
        scenario,
        column: '',
        workers,
        subscribers: plan.subscribers,
        metrics: {},
        ok: false,
        note,
      });
  };
  try {
    // Every deployment gets its subscribers first; all are held while each is measured.
    for (const workers of plan.workers) {
      let pool: LoadPool | undefined;
      try {
        const server = await servers.get(workers);
        pool = await LoadPool.start(plan.loadProcesses);
        const writer = new HttpWriter(server.url, { timeoutMs: 60_000 });
        const path = '/workers/latency';
        await put(writer, path, 0);
        const c = await pool.connect({ url: server.url, paths: [path], count: plan.subscribers });
        if (c.ready === 0) throw new Error(`no subscription opened: ${c.errors.join('; ')}`);
        log(
          `workers: --workers ${workers}: ${c.ready} subscribed in ${(c.ms / 1000).toFixed(1)} s`,
        );
        held.push({
          workers,
          server,
          pool,
          writer,
          path,
          made: 0,
          times: [],
          connectFailed: c.failed,
        });
      } catch (err) {
        pool?.stop();
        failed(workers, err);
      }
    }
    const tallies = {
      paced: held.map(() => new Tally()),
      one: held.map(() => new Tally()),
    };
    const checks: Array<{ check: DeliveryCheck; latencies: Float64Array }>[] = [];
    for (const h of held) {
      await phase(h, plan.warmup, plan.writesPerSec, new Tally());
      await h.pool.mark(true);
    }
    for (let r = 0; r < plan.rounds; r++)
      for (const [i, h] of held.entries())
        await phase(h, Math.ceil(plan.writes / plan.rounds), plan.writesPerSec, tallies.paced[i]!);
    for (const [i, h] of held.entries()) {
      const times = { [h.path]: Float64Array.from(h.times) };
      checks[i] = [await deliveryCheck(h.pool, { [h.path]: h.made }, h.connectFailed, times)];
      await h.pool.mark(true);
    }
    for (let r = 0; r < plan.rounds; r++)
      for (const [i, h] of held.entries())
        await phase(h, Math.ceil(plan.oneAtATime / plan.rounds), undefined, tallies.one[i]!);
    for (const [i, h] of held.entries()) {
      const times = { [h.path]: Float64Array.from(h.times) };
      checks[i]!.push(await deliveryCheck(h.pool, { [h.path]: h.made }, h.connectFailed, times));
    }
    for (const [i, h] of held.entries())
      for (const [k, scenario] of [paced, oneAtATime].entries()) {
        const t = (k === 0 ? tallies.paced : tallies.one)[i]!;
        const c = checks[i]![k]!;
        const restarted = restarts(h.server);
        const notes = [
          ...(t.arrived ? [] : ['deliveries did not all arrive within 60 s']),
          ...(restarted ? [`${restarted} worker restarts`] : []),
        ];
        rows.push({
          scenario,
          column: '',
          workers: h.workers,
          subscribers: plan.subscribers,
          metrics: { ...percentiles(c.latencies), ...t.metrics() },
          check: c.check,
          ok: clean(c.check) && t.arrived && restarted === 0,
          ...(notes.length ? { note: notes.join('; ') } : {}),
        });
      }
    for (const r of rows.filter((r) => r.scenario === paced))
      log(`workers: --workers ${r.workers}: p99 ${r.metrics.p99Ms?.toFixed(0)} ms at ${paced}`);
  } finally {
    for (const h of held) {
      h.writer.close();
      await h.pool.close().catch(() => undefined);
      h.pool.stop();
    }
  }
  return rows;
}

async function writesScenario(
  plan: WorkersPlan['writes'],
  servers: Servers,
  log: (line: string) => void,
): Promise<WorkersRow[]> {
  const scenario = `writes/s, ${plan.writers} writers, ${plan.resources} resources`;
  const paths = Array.from({ length: plan.resources }, (_, i) => `/workers/w/${i}`);
  const deployments: Array<{
    workers: number;
    server: PrepServe;
    writers: HttpWriter[];
    counts: Record<string, number>;
    made: number;
    writeMs: number;
    responseMs: number[];
    cpuUs: number;
    machineUs: number;
  }> = [];
  const rows: WorkersRow[] = [];
  try {
    for (const workers of plan.workers) {
      try {
        const server = await servers.get(workers);
        const writers = Array.from(
          { length: plan.writers },
          () => new HttpWriter(server.url, { timeoutMs: 60_000 }),
        );
        const counts: Record<string, number> = {};
        deployments.push({
          workers,
          server,
          writers,
          counts,
          made: 0,
          writeMs: 0,
          responseMs: [],
          cpuUs: 0,
          machineUs: 0,
        });
        // Warm-up, not measured: every resource created.
        await writesAsFastAsAnswered(writers, paths, paths.length, counts);
      } catch (err) {
        log(`workers: --workers ${workers} writes FAILED ${(err as Error).message}`);
        rows.push({
          scenario,
          column: '',
          workers,
          subscribers: 0,
          metrics: {},
          ok: false,
          note: (err as Error).message,
        });
      }
    }
    for (let r = 0; r < plan.rounds; r++)
      for (const d of deployments) {
        await Promise.all(d.writers.map((w) => w.ready()));
        const m = await measured(d.server.cpuUs, () =>
          writesAsFastAsAnswered(d.writers, paths, plan.writes / plan.rounds, d.counts),
        );
        d.made += m.value.made;
        d.writeMs += m.value.writeMs;
        d.responseMs.push(...m.value.responseMs);
        d.cpuUs += m.cpuUs;
        d.machineUs += m.machineCores * m.wallMs * 1000;
      }
    for (const d of deployments) {
      const restarted = restarts(d.server);
      rows.push({
        scenario,
        column: '',
        workers: d.workers,
        subscribers: 0,
        metrics: {
          writesPerSec: (d.made / d.writeMs) * 1000,
          ...percentiles(Float64Array.from(d.responseMs).sort(), 'write'),
          cpuPerWriteUs: d.cpuUs / d.made,
          serverCores: d.cpuUs / 1000 / d.writeMs,
          machineCores: d.machineUs / 1000 / d.writeMs,
          writes: d.made,
        },
        ok: restarted === 0,
        ...(restarted ? { note: `${restarted} worker restarts` } : {}),
      });
      log(
        `workers: --workers ${d.workers}: ${rows.at(-1)!.metrics.writesPerSec!.toFixed(0)} writes/s`,
      );
    }
  } finally {
    for (const d of deployments) for (const w of d.writers) w.close();
  }
  return rows;
}

async function capacityScenario(
  plan: WorkersPlan['capacity'],
  servers: Servers,
  log: (line: string) => void,
): Promise<WorkersRow> {
  const base = {
    scenario: `capacity, ${plan.writesPerSec} write/s`,
    column: '',
    workers: plan.workers,
    subscribers: plan.subscribers,
  };
  let pool: LoadPool | undefined;
  let writer: HttpWriter | undefined;
  try {
    const server = await servers.get(plan.workers);
    const workerPids = () => childPids(server.pid);
    const rss = (pids: number[]) => pids.reduce((s, p) => s + rssBytes(p), 0);
    const rss0 = rss(workerPids());
    pool = await LoadPool.start(plan.loadProcesses);
    writer = new HttpWriter(server.url, { timeoutMs: 60_000 });
    const path = '/workers/capacity';
    await put(writer, path, 0);
    log(
      `workers: capacity: opening ${plan.subscribers} subscriptions on --workers ${plan.workers} from ${plan.loadProcesses} load processes`,
    );
    const c = await pool.connect({ url: server.url, paths: [path], count: plan.subscribers });
    log(
      `workers: capacity: ${c.ready} subscribed in ${(c.ms / 1000).toFixed(0)} s${c.failed ? `, ${c.failed} failed: ${c.errors.join('; ')}` : ''}`,
    );
    const pids = workerPids();
    const descriptors = pids.map(openDescriptors);
    const rss1 = rss(pids);
    const primaryRss = rssBytes(server.pid);
    await pool.mark(true);
    const l0 = await pool.mark();
    const times: number[] = [];
    const m = await measured(server.cpuUs, async () => {
      await pacedWrites(
        writer!,
        path,
        { from: 0, count: plan.writes, perSec: plan.writesPerSec },
        (r) => {
          times.push(r.at);
          pool!.noteWrite(path);
        },
      );
      return pool!.until(120_000);
    });
    const l1 = await pool.mark();
    const c2 = await deliveryCheck(pool, { [path]: plan.writes }, c.failed, {
      [path]: Float64Array.from(times),
    });
    const deliveries = l1.deliveries - l0.deliveries;
    const restarted = restarts(server);
    const notes = [
      ...(c.failed ? [`${c.failed} subscriptions failed: ${c.errors.join('; ')}`] : []),
      ...(m.value ? [] : ['deliveries did not all arrive within 120 s']),
      ...(restarted ? [`${restarted} worker restarts`] : []),
    ];
    const lat = percentiles(c2.latencies);
    log(`workers: capacity: p99 ${lat.p99Ms?.toFixed(0)} ms`);
    return {
      ...base,
      subscribers: c.ready,
      metrics: {
        held: c.ready,
        connectPerSec: (c.ready / c.ms) * 1000,
        maxDescriptors: Math.max(...descriptors),
        minDescriptors: Math.min(...descriptors),
        ...lat,
        deliveriesPerSec: (deliveries / m.wallMs) * 1000,
        cpuUs: m.cpuUs / Math.max(1, deliveries),
        serverCores: m.cpuUs / 1000 / m.wallMs,
        loadCores: (l1.cpuMicros - l0.cpuMicros) / 1000 / m.wallMs,
        machineCores: m.machineCores,
        rssPerSubKB: (rss1 - rss0) / 1024 / Math.max(1, c.ready),
        rssMB: rss1 / 2 ** 20,
        primaryRssMB: primaryRss / 2 ** 20,
      },
      check: c2.check,
      ok: clean(c2.check) && m.value && restarted === 0,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  } catch (err) {
    log(`workers: capacity FAILED ${(err as Error).message}`);
    return { ...base, metrics: {}, ok: false, note: (err as Error).message };
  } finally {
    writer?.close();
    await pool?.close().catch(() => undefined);
    pool?.stop();
  }
}

/** Runs the group: latency and writes (servers shared), then capacity on its own. */
export async function runWorkers(
  plan: WorkersPlan,
  log: (line: string) => void,
): Promise<WorkersRow[]> {
  const servers = new Servers(log);
  const label = (w: number) => `--workers ${w}${w === plan.auto ? ' (auto)' : ''}`;
  try {
    const rows = [
      ...(await latencyScenarios(plan.latency, servers, log)),
      ...(await writesScenario(plan.writes, servers, log)),
    ];
    // The capacity run has the machine to itself (a quick run keeps its server).
    await servers.stopAll([plan.capacity.workers]);
    if (plan.capacity.subscribers > 0)
      rows.push(await capacityScenario(plan.capacity, servers, log));
    return rows.map((r) => ({ ...r, column: label(r.workers) }));
  } finally {
    await servers.close();
  }
}

/** The group as a table: `--workers` counts side by side, ratios against one process. */
export function workersTable(rows: readonly WorkersRow[], plan: WorkersPlan): string {
  const counts = [...new Set(rows.map((r) => r.workers))].sort((a, b) => a - b);
  const compared = new Set([...plan.latency.workers, ...plan.writes.workers]);
  const columns = counts.map((w) => ({
    name: rows.find((r) => r.workers === w)!.column,
    ...(w !== 1 && compared.has(w) ? { ratio: `${w} vs 1` } : {}),
  }));
  const cores = `machine cores busy (of ${plan.auto})`;
  const latency = (goal: boolean): SideBySideMetric[] => [
    { key: 'p50Ms', label: 'p50 ms (from response)', better: 'lower' },
    {
      key: 'p99Ms',
      label: 'p99 ms (from response)',
      better: 'lower',
      ...(goal ? { goal: 'auto ≥ 1.5× better than 1' } : {}),
    },
    { key: 'maxMs', label: 'max ms (from response)', better: 'lower' },
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher' },
    { key: 'cpuUs', label: 'server CPU µs/delivery', better: 'lower' },
    { key: 'serverCores', label: 'server cores busy' },
    { key: 'loadCores', label: 'load generator cores busy' },
    { key: 'machineCores', label: cores },
  ];
  const writes: SideBySideMetric[] = [
    { key: 'writesPerSec', label: 'writes/s', better: 'higher' },
    { key: 'writep50Ms', label: 'write response p50 ms', better: 'lower' },
    { key: 'writep99Ms', label: 'write response p99 ms', better: 'lower' },
    { key: 'cpuPerWriteUs', label: 'server CPU µs/write', better: 'lower' },
    { key: 'serverCores', label: 'server cores busy' },
    { key: 'machineCores', label: cores },
  ];
  const capacity: SideBySideMetric[] = [
    { key: 'held', label: 'subscribers held', goal: `${plan.capacity.subscribers}` },
    { key: 'connectPerSec', label: 'subscriptions opened/s' },
    { key: 'maxDescriptors', label: 'descriptors, busiest worker' },
    { key: 'minDescriptors', label: 'descriptors, least busy worker' },
    { key: 'p50Ms', label: 'p50 ms (from response)' },
    { key: 'p99Ms', label: 'p99 ms (from response)', goal: `< ${plan.capacity.p99GoalMs}` },
    { key: 'maxMs', label: 'max ms (from response)' },
    { key: 'deliveriesPerSec', label: 'deliveries/s' },
    { key: 'cpuUs', label: 'server CPU µs/delivery' },
    { key: 'serverCores', label: 'server cores busy (primary + workers)' },
    { key: 'loadCores', label: 'load generator cores busy' },
    { key: 'machineCores', label: cores },
    { key: 'rssPerSubKB', label: 'RSS KB/subscriber (workers)' },
    { key: 'rssMB', label: 'RSS MB, workers in all' },
    { key: 'primaryRssMB', label: 'RSS MB, primary' },
  ];
  return sideBySideTable(rows, {
    columns,
    base: rows.find((r) => r.workers === 1)?.column ?? '',
    metrics: (s) =>
      s.startsWith('capacity')
        ? capacity
        : s.startsWith('writes')
          ? writes
          : latency(s !== ONE_AT_A_TIME),
  });
}
