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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { LoadPool } from '../load/pool.js';
import { HttpWriter } from '../load/writer.js';
import { startPrepServe, type PrepServe } from '../servers/prep-serve.js';
import { sideBySideTable, type SideBySideMetric } from '../report/side-by-side.js';
import { clean, percentiles } from './session.js';
import { measured, pacedWrites, put, writesAsFastAsAnswered } from './write-load.js';
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
// Scenarios

interface Deployed {
  deployment: Deployment;
  nodes: PrepServe[];
  /** CPU of every node process, µs. */
  cpu: () => number;
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
    await put(writer, path, 0);
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
    const phase = await measured(d.cpu, async () => {
      await pacedWrites(
        writer,
        path,
        { from: 0, count: plan.writes, perSec: plan.writesPerSec },
        (r) => {
          times.push(r.at);
          for (const p of ps) p.noteWrite(path);
        },
      );
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
  const counts: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  try {
    let check = emptyCheck();
    if (subscribed) {
      // The resources exist before they are subscribed to (not counted as writes).
      for (const [i, p] of paths.entries()) await put(writers[i % writersN]!, p, 0);
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
    const phase = await measured(d.cpu, async () => {
      const w = await writesAsFastAsAnswered(writers, paths, plan.writes, counts, (path, n, r) => {
        (times[path] ??= [])[n - 1] = r.at;
        for (const p of ps) p.noteWrite(path);
      });
      const arrived = (await Promise.all(ps.map((p) => p.until(120_000)))).every(Boolean);
      return { ...w, arrived };
    });
    const { made, responseMs } = phase.value;
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
      const nodes: PrepServe[] = [];
      try {
        // One after the other: the first creates the schema.
        for (let i = 0; i < count; i++) nodes.push(await startPrepServe(store));
        log(`cluster ${deployment}: ${nodes.map((n) => n.url).join(' ')}`);
        const d: Deployed = {
          deployment,
          nodes,
          cpu: () => nodes.reduce((s, n) => s + n.cpuUs(), 0),
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
  const metrics: SideBySideMetric[] = [
    { key: 'crossP50Ms', label: 'p50 ms, writer on another node' },
    { key: 'crossP99Ms', label: 'p99 ms, writer on another node', goal: '≤ 50' },
    { key: 'crossMaxMs', label: 'max ms, writer on another node' },
    { key: 'sameP50Ms', label: 'p50 ms, writer on the same node' },
    { key: 'sameP99Ms', label: 'p99 ms, writer on the same node' },
    { key: 'sameMaxMs', label: 'max ms, writer on the same node' },
    { key: 'writesPerSec', label: 'writes/s (all nodes)', goal: '≥ 5000' },
    { key: 'writep50Ms', label: 'write response p50 ms' },
    { key: 'writep99Ms', label: 'write response p99 ms' },
    { key: 'deliveriesPerSec', label: 'deliveries/s' },
    { key: 'cpuUs', label: 'node CPU µs/delivery' },
    { key: 'cpuPerDeliveryUs', label: 'node CPU µs/delivery' },
    { key: 'cpuPerWriteUs', label: 'node CPU µs/write' },
    { key: 'machineCores', label: 'machine cores busy (of 2)' },
  ];
  return sideBySideTable(
    rows.map((r) => ({ ...r, column: r.deployment })),
    { columns: DEPLOYMENTS.map((name) => ({ name })), metrics: () => metrics },
  );
}
