/**
 * Several nodes (issue #9): three `prep serve --database postgres://…` processes on one
 * throwaway PostgreSQL (initdb into a temp dir, loopback port: test/helpers/postgres.ts), each
 * following the shared log, measured beside one node on PostgreSQL and one on SQLite in the
 * same run, all started as `prep serve` is (bin/prep.js):
 *
 * - cross-node latency: subscribers on every node on one resource, a steady writer on node
 *   A; p50/p99/max from the writer's response to each notification parsed by a subscriber
 *   of node B or C (and, for reference, of A itself);
 * - sustained writes/s: concurrent writers spread over the nodes, as fast as answered, on
 *   many resources (each owned by one connection, so writes to it never overlap), without
 *   subscribers and then with subscribers on every node (each delivered once, in order).
 *
 * Server CPU is read from /proc for the node processes (PostgreSQL's own is not counted);
 * "machine cores busy" from /proc/stat shows when the 2 cores, not a node, were the limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { nowMs } from '../load/clock.js';
import { LoadPool } from '../load/pool.js';
import { ROOT } from '../load/processes.js';
import { HttpWriter } from '../load/writer.js';
import { textTable } from '../report/format.js';
import { percentiles } from './session.js';
import type { DeliveryCheck } from './types.js';

/** How the nodes are deployed: three on PostgreSQL, one on PostgreSQL, one on SQLite. */
export const DEPLOYMENTS = ['3 nodes, PostgreSQL', '1 node, PostgreSQL', '1 node, SQLite'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

/** One measured scenario of one deployment. Metric names end in their unit. */
export interface ClusterRow {
  scenario: string;
  deployment: Deployment;
  /** Subscribers in all (over all nodes). */
  subscribers: number;
  metrics: Record<string, number>;
  check?: DeliveryCheck;
  ok: boolean;
  note?: string;
}

export interface ClusterPlan {
  /**
   * Subscribers per node in the latency scenarios (a single node holds them all): a few, for
   * the cost of the hop between nodes, then the 1k per node.
   */
  latency: Array<{ perNode: number; writes: number; writesPerSec: number }>;
  /** Writer connections per node (a single node gets as many in all), resources, writes. */
  writes: { writersPerNode: number; resources: number; writes: number };
  /** The same writes with subscribers spread over the resources, per node. */
  writesWithSubs: { perNode: number; resources: number; writes: number };
}

export function clusterPlan(quick: boolean): ClusterPlan {
  return quick
    ? {
        latency: [{ perNode: 50, writes: 6, writesPerSec: 10 }],
        writes: { writersPerNode: 2, resources: 30, writes: 120 },
        writesWithSubs: { perNode: 30, resources: 30, writes: 60 },
      }
    : {
        latency: [
          { perNode: 100, writes: 30, writesPerSec: 5 },
          { perNode: 1000, writes: 30, writesPerSec: 5 },
        ],
        // Enough concurrent writers that PostgreSQL's group commit has writes to batch.
        writes: { writersPerNode: 16, resources: 600, writes: 6000 },
        writesWithSubs: { perNode: 1000, resources: 300, writes: 1500 },
      };
}

const NODES = 3;

// ---------------------------------------------------------------------------------------
// Processes

/** USER_HZ, the unit of /proc/stat and /proc/<pid>/stat: 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** User + system CPU of a process, µs (Linux /proc). */
function processCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
  } catch {
    return NaN;
  }
}

/** Non-idle CPU of the whole machine, µs (all cores). */
function machineCpuUs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
    return ((user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND) * 1e6;
  } catch {
    return NaN;
  }
}

interface Node {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** `prep serve` (bin/prep.js, as users run it) on a free loopback port, limits raised. */
async function startNode(store: string[], extra: string[]): Promise<Node> {
  const script =
    'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const args = [
    'bin/prep.js',
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--quiet',
    '--max-subscriptions',
    '10000000',
    '--max-subscriptions-per-client',
    '10000000',
    '--max-subscriptions-per-resource',
    '10000000',
    ...extra,
    ...store,
  ];
  // Experiment knob: node flags for the nodes, e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn('/bin/bash', ['-c', script, 'bash', process.execPath, ...nodeArgs, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prep serve did not start: ${err}`)), 90_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prep serve exited (${code}): ${err.trim().split('\n').at(-1) ?? ''}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      // A profiled node must exit by itself to write its profile.
      child.kill(nodeArgs.length > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `--write-rate off` when this checkout's `prep serve` has the flag (SEC-2 write limits): the
 * benchmark decides the write rate, not the per-client limit of a public server.
 */
function serveFlags(): string[] {
  const source = readFileSync(join(ROOT, 'src', 'cli', 'serve.ts'), 'utf8');
  return source.includes("'write-rate'") ? ['--write-rate', 'off'] : [];
}

// ---------------------------------------------------------------------------------------
// Scenarios

interface Deployed {
  deployment: Deployment;
  nodes: Node[];
  /** CPU of every node process, µs. */
  cpu(): number;
}

/** Ends of a phase: wall time, node CPU, machine CPU. */
async function measured<T>(
  d: Deployed,
  fn: () => Promise<T>,
): Promise<{ value: T; wallMs: number; cpuUs: number; machineCores: number }> {
  const c0 = d.cpu();
  const m0 = machineCpuUs();
  const t0 = nowMs();
  const value = await fn();
  const wallMs = nowMs() - t0;
  return {
    value,
    wallMs,
    cpuUs: d.cpu() - c0,
    machineCores: (machineCpuUs() - m0) / 1000 / wallMs,
  };
}

function emptyCheck(): DeliveryCheck {
  return {
    expected: 0,
    deliveries: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    closedEarly: 0,
    connectFailed: 0,
  };
}

/** `check` (its connect failures) with the pools' due counts and their checks' tallies added. */
function summed(
  check: DeliveryCheck,
  ps: readonly { expected: number }[],
  checks: readonly Omit<DeliveryCheck, 'expected' | 'connectFailed'>[],
): DeliveryCheck {
  return checks.reduce<DeliveryCheck>(
    (c, x) => ({
      ...c,
      deliveries: c.deliveries + x.deliveries,
      lost: c.lost + x.lost,
      duplicated: c.duplicated + x.duplicated,
      unexpected: c.unexpected + x.unexpected,
      closedEarly: c.closedEarly + x.closedEarly,
    }),
    { ...check, expected: ps.reduce((s, p) => s + p.expected, 0) },
  );
}

function clean(c: DeliveryCheck): boolean {
  return (
    c.lost === 0 &&
    c.duplicated === 0 &&
    c.unexpected === 0 &&
    c.closedEarly === 0 &&
    c.connectFailed === 0 &&
    c.deliveries === c.expected
  );
}

function merge(xs: Float64Array[]): Float64Array {
  const all = new Float64Array(xs.reduce((t, x) => t + x.length, 0));
  let o = 0;
  for (const x of xs) {
    all.set(x, o);
    o += x.length;
  }
  return all.sort();
}

/** One pool per node, so each notification's node is known (for cross-node latency). */
async function pools(n: number): Promise<LoadPool[]> {
  return Promise.all(Array.from({ length: n }, () => LoadPool.start(1)));
}

async function latencyScenario(
  d: Deployed,
  plan: ClusterPlan['latency'][number],
  log: (line: string) => void,
): Promise<ClusterRow> {
  const path = `/lat/${plan.perNode}`;
  const total = plan.perNode * NODES;
  const base = {
    scenario: `latency, ${plan.perNode}/node, ${plan.writesPerSec} writes/s`,
    deployment: d.deployment,
  };
  const ps = await pools(NODES);
  const writer = new HttpWriter(d.nodes[0]!.url, { timeoutMs: 60_000 });
  try {
    const json = { 'Content-Type': 'application/json' };
    const created = await writer.request('PUT', path, '{"seq":0}', json);
    if (created.status >= 300) throw new Error(`PUT ${path} answered ${created.status}`);
    // Pool k subscribes on node k (on a single node: all on it).
    let check = emptyCheck();
    for (const [k, p] of ps.entries()) {
      const c = await p.connect({
        url: d.nodes[k % d.nodes.length]!.url,
        paths: [path],
        count: plan.perNode,
      });
      check.connectFailed += c.failed;
    }
    log(`cluster ${d.deployment}: ${total} subscribers for the latency scenario`);
    for (const p of ps) await p.mark(true);
    const times: number[] = [];
    const phase = await measured(d, async () => {
      const t0 = nowMs();
      for (let k = 0; k < plan.writes; k++) {
        const wait = t0 + (k * 1000) / plan.writesPerSec - nowMs();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const r = await writer.request('PUT', path, `{"seq":${k + 1}}`, json);
        if (r.status >= 300) throw new Error(`PUT ${path} answered ${r.status}`);
        times.push(r.at);
        for (const p of ps) p.noteWrite(path);
      }
      return (await Promise.all(ps.map((p) => p.until(60_000)))).every(Boolean);
    });
    const writeTimes = { [path]: Float64Array.from(times) };
    const checks = await Promise.all(ps.map((p) => p.check({ [path]: plan.writes }, writeTimes)));
    check = summed(check, ps, checks);
    const multi = d.nodes.length > 1;
    const same = percentiles(multi ? checks[0]!.latencies : merge(checks.map((c) => c.latencies)));
    const cross = multi ? percentiles(merge(checks.slice(1).map((c) => c.latencies))) : {};
    log(
      `cluster ${d.deployment}: latency p99 ${(multi ? cross.p99Ms : same.p99Ms)?.toFixed(1)} ms`,
    );
    return {
      ...base,
      subscribers: total,
      metrics: {
        ...(multi
          ? { crossP50Ms: cross.p50Ms!, crossP99Ms: cross.p99Ms!, crossMaxMs: cross.maxMs! }
          : {}),
        sameP50Ms: same.p50Ms!,
        sameP99Ms: same.p99Ms!,
        sameMaxMs: same.maxMs!,
        cpuUs: phase.cpuUs / Math.max(1, check.deliveries),
        machineCores: phase.machineCores,
      },
      check,
      ok: clean(check) && phase.value,
      ...(phase.value ? {} : { note: 'deliveries did not all arrive within 60 s' }),
    };
  } catch (err) {
    return { ...base, subscribers: total, metrics: {}, ok: false, note: (err as Error).message };
  } finally {
    writer.close();
    for (const p of ps) {
      await p.close().catch(() => undefined);
      p.stop();
    }
  }
}

/**
 * Writes as fast as answered by `writersPerNode` connections per node (on a single node, as
 * many in all); writer w writes to node w mod nodes and owns the resources i ≡ w (mod W).
 */
async function writesScenario(
  d: Deployed,
  plan: { writersPerNode: number; resources: number; writes: number; perNode: number },
  log: (line: string) => void,
): Promise<ClusterRow> {
  const subscribed = plan.perNode > 0;
  const prefix = subscribed ? '/ws' : '/wn';
  const paths = Array.from({ length: plan.resources }, (_, i) => `${prefix}/${i}`);
  const writersN = plan.writersPerNode * NODES;
  const nodeOf = (w: number) => d.nodes[w % d.nodes.length]!;
  const base = {
    scenario: subscribed
      ? `writes/s, ${plan.perNode * NODES} subscribers on ${plan.resources} resources`
      : `writes/s, no subscribers, ${plan.resources} resources`,
    deployment: d.deployment,
  };
  const writers = Array.from(
    { length: writersN },
    (_, w) => new HttpWriter(nodeOf(w).url, { timeoutMs: 60_000 }),
  );
  const ps = subscribed ? await pools(NODES) : [];
  const json = { 'Content-Type': 'application/json' };
  const counts: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  const responseMs: number[] = [];
  try {
    let check = emptyCheck();
    if (subscribed) {
      // The resources exist before they are subscribed to (not counted as writes).
      for (const [i, p] of paths.entries()) {
        const r = await writers[i % writersN]!.request('PUT', p, '{"seq":0}', json);
        if (r.status >= 300) throw new Error(`PUT ${p} answered ${r.status}`);
      }
      for (const [k, p] of ps.entries()) {
        const c = await p.connect({
          url: d.nodes[k % d.nodes.length]!.url,
          paths,
          count: plan.perNode,
        });
        check.connectFailed += c.failed;
      }
      for (const p of ps) await p.mark(true);
      log(
        `cluster ${d.deployment}: ${plan.perNode * NODES} subscribers on ${plan.resources} resources`,
      );
    }
    await Promise.all(writers.map((w) => w.ready()));
    const perWriter = Math.ceil(plan.writes / writersN);
    const phase = await measured(d, async () => {
      const t0 = nowMs();
      await Promise.all(
        writers.map(async (writer, w) => {
          const own = paths.filter((_, i) => i % writersN === w);
          for (let k = 0; k < perWriter; k++) {
            const path = own[k % own.length]!;
            const n = (counts[path] ?? 0) + 1;
            counts[path] = n;
            const r = await writer.request('PUT', path, `{"seq":${n}}`, json);
            if (r.status >= 300) throw new Error(`PUT ${path} answered ${r.status}`);
            (times[path] ??= [])[n - 1] = r.at;
            responseMs.push(r.at - r.sentAt);
            for (const p of ps) p.noteWrite(path);
          }
        }),
      );
      const writeMs = nowMs() - t0;
      const arrived = (await Promise.all(ps.map((p) => p.until(120_000)))).every(Boolean);
      return { writeMs, arrived };
    });
    const made = perWriter * writersN;
    const metrics: Record<string, number> = {
      // Over the writes alone (not the wait for the last deliveries).
      writesPerSec: (made / phase.value.writeMs) * 1000,
      ...percentiles(Float64Array.from(responseMs).sort(), 'write'),
      cpuPerWriteUs: phase.cpuUs / made,
      machineCores: phase.machineCores,
      writes: made,
    };
    let arrived = true;
    if (subscribed) {
      arrived = phase.value.arrived;
      // Latency only where writer and subscriber are on different nodes (when there are).
      const multi = d.nodes.length > 1;
      const owner = (path: string) => Number(path.slice(prefix.length + 1)) % writersN;
      const checks = await Promise.all(
        ps.map((p, k) =>
          p.check(
            counts,
            Object.fromEntries(
              paths.map((path) => [
                path,
                Float64Array.from(times[path] ?? [], (t) =>
                  multi && owner(path) % NODES === k ? NaN : t,
                ),
              ]),
            ),
          ),
        ),
      );
      check = summed(check, ps, checks);
      const lat = percentiles(merge(checks.map((c) => c.latencies)), multi ? 'cross' : 'same');
      Object.assign(metrics, lat, {
        deliveriesPerSec: (check.deliveries / phase.wallMs) * 1000,
        cpuPerDeliveryUs: phase.cpuUs / Math.max(1, check.deliveries),
      });
    }
    log(`cluster ${d.deployment}: ${metrics.writesPerSec!.toFixed(0)} writes/s (${base.scenario})`);
    return {
      ...base,
      subscribers: plan.perNode * NODES,
      metrics,
      ...(subscribed ? { check } : {}),
      ok: !subscribed || (clean(check) && arrived),
      ...(arrived ? {} : { note: 'deliveries did not all arrive within 120 s' }),
    };
  } catch (err) {
    return {
      ...base,
      subscribers: plan.perNode * NODES,
      metrics: {},
      ok: false,
      note: (err as Error).message,
    };
  } finally {
    for (const w of writers) w.close();
    for (const p of ps) {
      await p.close().catch(() => undefined);
      p.stop();
    }
  }
}

/**
 * Runs the cluster scenarios for each deployment, one deployment at a time. Resolves with
 * `{ skip }` when PostgreSQL is not installed (the SQLite node alone would say nothing).
 */
export async function runCluster(
  plan: ClusterPlan,
  log: (line: string) => void,
): Promise<{ rows: ClusterRow[] } | { skip: string }> {
  let pg: TestPostgres | { skip: string };
  try {
    pg = await startPostgres();
  } catch (err) {
    return { skip: (err as Error).message.split('\n')[0]! };
  }
  if ('skip' in pg) return { skip: pg.skip };
  const rows: ClusterRow[] = [];
  const extra = serveFlags();
  const dir = mkdtempSync(join(tmpdir(), 'prep-bench-cluster-'));
  try {
    for (const deployment of DEPLOYMENTS) {
      let store: string[];
      let count = 1;
      if (deployment === '1 node, SQLite') store = ['--data', join(dir, 'prep.db')];
      else {
        store = ['--database', await pg.createDatabase()];
        if (deployment === '3 nodes, PostgreSQL') count = NODES;
      }
      const nodes: Node[] = [];
      try {
        // One after the other: the first creates the schema.
        for (let i = 0; i < count; i++) nodes.push(await startNode(store, extra));
        log(`cluster ${deployment}: ${nodes.map((n) => n.url).join(' ')}`);
        const d: Deployed = {
          deployment,
          nodes,
          cpu: () => nodes.reduce((s, n) => s + processCpuUs(n.pid), 0),
        };
        for (const l of plan.latency) rows.push(await latencyScenario(d, l, log));
        rows.push(await writesScenario(d, { ...plan.writes, perNode: 0 }, log));
        rows.push(
          await writesScenario(
            d,
            { ...plan.writesWithSubs, writersPerNode: plan.writes.writersPerNode },
            log,
          ),
        );
      } catch (err) {
        log(`cluster ${deployment}: FAILED ${(err as Error).message}`);
        rows.push({
          scenario: 'start',
          deployment,
          subscribers: 0,
          metrics: {},
          ok: false,
          note: (err as Error).message,
        });
      } finally {
        for (const n of nodes) await n.stop();
      }
    }
  } finally {
    await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}

/** The cluster rows as a table: deployments side by side, with the goals. */
export function clusterTable(rows: ClusterRow[]): string {
  const specs: Array<[string, string, string]> = [
    ['crossP50Ms', 'p50 ms, writer on another node', ''],
    ['crossP99Ms', 'p99 ms, writer on another node', '≤ 50'],
    ['crossMaxMs', 'max ms, writer on another node', ''],
    ['sameP50Ms', 'p50 ms, writer on the same node', ''],
    ['sameP99Ms', 'p99 ms, writer on the same node', ''],
    ['sameMaxMs', 'max ms, writer on the same node', ''],
    ['writesPerSec', 'writes/s (all nodes)', '≥ 5000'],
    ['writep50Ms', 'write response p50 ms', ''],
    ['writep99Ms', 'write response p99 ms', ''],
    ['deliveriesPerSec', 'deliveries/s', ''],
    ['cpuUs', 'node CPU µs/delivery', ''],
    ['cpuPerDeliveryUs', 'node CPU µs/delivery', ''],
    ['cpuPerWriteUs', 'node CPU µs/write', ''],
    ['machineCores', 'machine cores busy (of 2)', ''],
  ];
  const head = ['scenario', 'subs', 'metric', ...DEPLOYMENTS, 'goal'];
  const body: string[][] = [];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const fmt = (v: number) =>
    v >= 100_000
      ? `${(v / 1000).toFixed(0)}k`
      : v >= 10_000
        ? `${(v / 1000).toFixed(1)}k`
        : v >= 100
          ? v.toFixed(0)
          : v >= 10
            ? v.toFixed(1)
            : v.toFixed(2);
  const notes: string[] = [];
  for (const s of scenarios) {
    const by = new Map(rows.filter((r) => r.scenario === s).map((r) => [r.deployment, r]));
    let first = true;
    const subs = String([...by.values()][0]?.subscribers ?? '');
    for (const [key, label, goal] of specs) {
      const cells = DEPLOYMENTS.map((dep) => by.get(dep)?.metrics[key]);
      if (cells.every((c) => c === undefined)) continue;
      body.push([
        first ? s : '',
        first ? subs : '',
        label,
        ...cells.map((c) => (c === undefined ? '' : fmt(c))),
        goal,
      ]);
      first = false;
    }
    if ([...by.values()].some((r) => r.check))
      body.push([
        '',
        '',
        'each delivered once, in order',
        ...DEPLOYMENTS.map((dep) => {
          const r = by.get(dep);
          if (!r?.check) return r ? (r.ok ? 'ok' : 'FAIL') : '';
          const c = r.check;
          return clean(c) ? 'ok' : `lost ${c.lost}, dup ${c.duplicated}, of ${c.expected}`;
        }),
        '',
      ]);
    for (const r of by.values()) if (r.note) notes.push(`${s}, ${r.deployment}: ${r.note}`);
    if (first) body.push([s, subs, 'FAIL', ...DEPLOYMENTS.map(() => ''), '']);
  }
  return textTable(head, body, 3, notes);
}
