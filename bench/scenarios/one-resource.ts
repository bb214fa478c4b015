/**
 * Scenarios 1-4 on one resource, with one long-lived session per server, all four servers
 * running side by side (each with its own subscriber processes). The subscriber count grows
 * through the sizes the scenarios ask for (1k, 10k, 50k... capped by the descriptor limit);
 * at each size, every server in turn gets the phases due at that size, so a burst of load
 * from other work on the machine hits the servers alike and connections are opened once:
 *
 * - memory (3): RSS and heap growth per idle subscriber since before the first one;
 * - fan-out (1): (a) one write at a time, each waited for until every subscriber parsed its
 *   notification; (b) bursts of concurrent writes, each on its own connection;
 * - latency (2): a steady 2 writes/s for ~10 s (in two rounds, servers interleaved),
 *   p50/p99/max from the writer's response;
 * - capacity (4): a few writes at 2/s; a server fails the step when p99 passes 1 s, a
 *   subscription is refused, a notification is lost or the process dies, and is not stepped
 *   further. Steps beyond the descriptor limit are tried once at the end, to show how a
 *   server fails there.
 */
import { LoadPool } from '../load/pool.js';
import type { ServerKind } from '../servers/spawn.js';
import { steadyWrites } from './latency.js';
import { CAPACITY_STEPS, type Plan } from './plan.js';
import { Session, clean, percentiles, perDelivery, sleep, type PhaseCost } from './session.js';
import type { ProcessStats } from '../servers/child.js';
import type { DeliveryCheck, ServerGroup, ServerRow } from './types.js';

const PATH = '/r';

/** One server under test with its session (also used by the `fetch` group). */
export interface Held {
  kind: ServerKind;
  session: Session;
  mem0: ProcessStats;
  /** Set when the session cannot go on (subscriptions refused, crash). */
  broken?: string;
  capacityFailed?: { at: number; reason: string };
  capacityHeld: number;
}

export async function runOneResource(
  plan: Plan,
  servers: readonly ServerKind[],
  want: Record<'fanout' | 'memory' | 'latency' | 'capacity', boolean>,
  log: (line: string) => void,
): Promise<ServerRow[]> {
  const rows: ServerRow[] = [];
  const requested = (n: number) => (plan.cappedFrom[n] ? { requested: plan.cappedFrom[n] } : {});
  const fanoutSizes = want.fanout ? plan.fanout.sizes : [];
  const memorySizes = want.memory ? plan.memory.sizes : [];
  const latencySizes = want.latency ? [plan.latency.subscribers] : [];
  const capacitySteps = want.capacity ? plan.capacity.steps : [];
  const sizes = [
    ...new Set([...fanoutSizes, ...memorySizes, ...latencySizes, ...capacitySteps]),
  ].sort((a, b) => a - b);

  const held: Held[] = [];
  try {
    // One pool of subscriber processes per server: its sockets stay open while the others
    // are measured (idle sockets cost no CPU).
    for (const kind of servers) {
      const pool = await LoadPool.start(plan.loadProcesses);
      const session = await Session.open(kind, pool).catch((err: unknown) => {
        pool.stop();
        throw err;
      });
      await session.setup([PATH]);
      await session.server.gc();
      held.push({ kind, session, mem0: await session.stats(), capacityHeld: 0 });
    }
    const fail = (h: Held, group: ServerGroup, scenario: string, n: number, note: string) =>
      rows.push({
        group,
        scenario,
        server: h.kind,
        subscribers: n,
        ...requested(n),
        metrics: {},
        ok: false,
        note,
      });

    for (const n of sizes) {
      // One server at a time: opening thousands of connections to all four at once
      // overloads a 2-core machine until connections time out.
      for (const h of held) {
        if (h.broken) continue;
        const s = h.session;
        const more = n - s.pool.ready;
        if (more <= 0) continue;
        const conn = await s.subscribe([PATH], more);
        log(
          `${h.kind}: ${s.pool.ready} subscribers (+${more - conn.failed} in ${(conn.ms / 1000).toFixed(1)} s)`,
        );
        if (conn.failed > 0 || !s.server.alive)
          h.broken = !s.server.alive
            ? 'server process died'
            : `${conn.failed} of ${more} subscriptions failed (${conn.errors.join('; ')})`;
      }
      const live = held.filter((h) => {
        if (!h.broken) return true;
        if (fanoutSizes.includes(n)) {
          fail(h, 'fanout', 'one-at-a-time', n, h.broken);
          fail(h, 'fanout', `burst of ${plan.fanout.burst}`, n, h.broken);
        }
        if (memorySizes.includes(n)) fail(h, 'memory', 'idle subscribers', n, h.broken);
        if (latencySizes.includes(n))
          fail(h, 'latency', `${plan.latency.writesPerSec} writes/s`, n, h.broken);
        if (capacitySteps.includes(n) && !h.capacityFailed)
          h.capacityFailed = { at: n, reason: h.broken };
        return false;
      });

      if (memorySizes.includes(n))
        for (const h of live) {
          await sleep(plan.quick ? 100 : 1000);
          await h.session.server.gc();
          const m1 = await h.session.stats();
          const m0 = h.mem0;
          rows.push({
            group: 'memory',
            scenario: 'idle subscribers',
            server: h.kind,
            subscribers: n,
            ...requested(n),
            metrics: {
              rssPerSubKB: (m1.mem.rss - m0.mem.rss) / n / 1024,
              heapPerSubKB: (m1.mem.heapUsed - m0.mem.heapUsed) / n / 1024,
              externalPerSubKB:
                (m1.mem.external + m1.mem.arrayBuffers - m0.mem.external - m0.mem.arrayBuffers) /
                n /
                1024,
              rssMB: m1.mem.rss / 2 ** 20,
              baseRssMB: m0.mem.rss / 2 ** 20,
            },
            ok: true,
          });
        }

      if (fanoutSizes.includes(n))
        for (const h of live) rows.push(...(await fanout(plan, h, n, requested(n), log)));

      if (latencySizes.includes(n)) {
        // Rounds with the servers interleaved, samples pooled: the load of other work on the
        // machine varies from second to second; one block per server would catch it unevenly.
        const parts = new Map<Held, LatencyPart[]>();
        for (let round = 0; round < plan.latency.rounds; round++)
          for (const h of live) {
            const list = parts.get(h) ?? [];
            parts.set(h, list);
            if (list.some((p) => p.error)) continue;
            list.push(await latencyRound(plan, h));
          }
        for (const h of live)
          rows.push(latencyRow(plan, h, n, requested(n), parts.get(h) ?? [], log));
      }

      if (capacitySteps.includes(n))
        for (const h of live) {
          if (h.capacityFailed) continue;
          const row = await capacityStep(plan, h, n, log);
          rows.push(row);
          if (row.ok) h.capacityHeld = n;
          else h.capacityFailed = { at: n, reason: row.note ?? 'failed' };
        }
    }

    if (want.capacity) {
      // Beyond the descriptor limit: one more step for each server still passing, to show
      // how it fails there (the others' figures are all taken by now).
      const beyond = plan.quick ? undefined : CAPACITY_STEPS.find((x) => x > plan.maxSubscribers);
      for (const h of held) {
        if (beyond !== undefined && !h.capacityFailed && !h.broken) {
          const conn = await h.session.subscribe([PATH], beyond - h.session.pool.ready);
          log(`${h.kind}: capacity ${beyond}: ${conn.failed} failed`);
          if (conn.failed > 0 || !h.session.server.alive)
            h.capacityFailed = {
              at: beyond,
              reason: !h.session.server.alive
                ? 'server process died'
                : `${conn.failed} subscriptions failed (${conn.errors.join('; ')}) at the descriptor limit (ulimit -n ${plan.fdLimit ?? '?'})`,
            };
          else {
            const row = await capacityStep(plan, h, beyond, log);
            rows.push(row);
            if (row.ok) h.capacityHeld = beyond;
            else h.capacityFailed = { at: beyond, reason: row.note ?? 'failed' };
          }
        }
        rows.push({
          group: 'capacity',
          scenario: 'max held',
          server: h.kind,
          subscribers: h.capacityHeld,
          metrics: {
            held: h.capacityHeld,
            ...(h.capacityFailed ? { failedAt: h.capacityFailed.at } : {}),
          },
          ok: h.capacityFailed === undefined || h.capacityFailed.at > plan.maxSubscribers,
          note: h.capacityFailed
            ? `held ${h.capacityHeld}; failed at ${h.capacityFailed.at}: ${h.capacityFailed.reason}`
            : `passed every step up to ${h.capacityHeld}`,
        });
      }
    }
  } finally {
    for (const h of held) {
      await h.session.close().catch(() => undefined);
      h.session.pool.stop();
    }
  }
  return rows;
}

/** Scenario 1 at `n` subscribers on `path`: one write at a time, then bursts. */
export async function fanout(
  plan: Plan,
  h: Held,
  n: number,
  requested: { requested?: number },
  log: (line: string) => void,
  path = PATH,
): Promise<ServerRow[]> {
  const s = h.session;
  const base = { group: 'fanout' as const, server: h.kind, subscribers: n, ...requested };
  const burst = plan.fanout.burst;
  const waitMs = 10_000 + n * 0.5;
  const out: ServerRow[] = [];
  try {
    // Warm-up (JIT), counted in the checks but not in the figures.
    for (let i = 0; i < plan.fanout.warmup; i++) {
      await s.write(path);
      await s.pool.until(waitMs);
    }
    const writes = plan.fanout.writes(n);
    let timedOut = false;
    const one = await s.measure(async () => {
      for (let i = 0; i < writes && !timedOut; i++) {
        await s.write(path);
        if (!(await s.pool.until(waitMs))) timedOut = true;
      }
    });
    const c1 = await s.check(true);
    out.push({
      ...base,
      scenario: 'one-at-a-time',
      metrics: {
        ...perDelivery(one),
        ...percentiles(c1.fromResponse!.latencies),
        ...(c1.fromSent ? percentiles(c1.fromSent, 'sent') : {}),
        writes,
        wallPerWriteMs: one.wallMs / writes,
      },
      check: c1.check,
      ok: clean(c1.check) && !timedOut,
      ...(timedOut ? { note: 'deliveries did not all arrive in time' } : {}),
    });
    const rounds = plan.fanout.rounds(n);
    const cost: PhaseCost = await s.measure(async () => {
      for (let r = 0; r < rounds && !timedOut; r++) {
        await s.ready(burst);
        const from = s.writes[path] ?? 0;
        // Concurrent writes to one path: the server decides their order; no latency here.
        await Promise.all(Array.from({ length: burst }, (_, k) => s.write(path, k + 1)));
        s.forgetTimes(path, from);
        if (!(await s.pool.until(waitMs * burst))) timedOut = true;
      }
    });
    const c2 = await s.check(false);
    out.push({
      ...base,
      scenario: `burst of ${burst}`,
      metrics: { ...perDelivery(cost), writes: burst * rounds },
      check: c2.check,
      ok: clean(c2.check) && !timedOut,
      ...(timedOut ? { note: 'deliveries did not all arrive in time' } : {}),
    });
    log(
      `${h.kind} ${n}: ${out[0]!.metrics.cpuUs!.toFixed(2)} µs/delivery one at a time, ${out[1]!.metrics.cpuUs!.toFixed(2)} in bursts`,
    );
  } catch (err) {
    const note = (err as Error).message;
    log(`${h.kind} ${n}: fan-out FAILED ${note}`);
    for (const scenario of ['one-at-a-time', `burst of ${burst}`])
      if (!out.some((r) => r.scenario === scenario))
        out.push({ ...base, scenario, metrics: {}, ok: false, note });
  }
  return out;
}

interface LatencyPart {
  cost?: PhaseCost;
  fromResponse?: Float64Array;
  fromSent?: Float64Array;
  check?: DeliveryCheck;
  arrived?: boolean;
  error?: string;
}

async function latencyRound(plan: Plan, h: Held): Promise<LatencyPart> {
  const s = h.session;
  const { writesPerSec, seconds } = plan.latency;
  const count = Math.max(2, Math.round((writesPerSec * seconds) / plan.latency.rounds));
  try {
    let arrived = true;
    const cost = await s.measure(async () => {
      arrived = await steadyWrites(s, PATH, count, writesPerSec, 30_000);
    });
    const c = await s.check(true);
    return {
      cost,
      fromResponse: c.fromResponse!.latencies,
      ...(c.fromSent ? { fromSent: c.fromSent } : {}),
      check: c.check,
      arrived,
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function latencyRow(
  plan: Plan,
  h: Held,
  n: number,
  requested: { requested?: number },
  parts: LatencyPart[],
  log: (line: string) => void,
): ServerRow {
  const base = {
    group: 'latency' as const,
    scenario: `${plan.latency.writesPerSec} writes/s`,
    server: h.kind,
    subscribers: n,
    ...requested,
  };
  const failed = parts.find((p) => p.error);
  if (failed || parts.length === 0)
    return { ...base, metrics: {}, ok: false, note: failed?.error ?? 'not run' };
  const merge = (xs: Array<Float64Array | undefined>) => {
    const all = new Float64Array(xs.reduce((t, x) => t + (x?.length ?? 0), 0));
    let o = 0;
    for (const x of xs) if (x) all.set(x, (o += x.length) - x.length);
    return all.sort();
  };
  const cost: PhaseCost = {
    wallMs: 0,
    serverUser: 0,
    serverSys: 0,
    loadCpu: 0,
    deliveries: 0,
    extra: {},
  };
  const check: DeliveryCheck = {
    expected: 0,
    deliveries: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    closedEarly: 0,
    connectFailed: 0,
  };
  for (const p of parts) {
    for (const k of ['wallMs', 'serverUser', 'serverSys', 'loadCpu', 'deliveries'] as const)
      cost[k] += p.cost![k];
    for (const k of Object.keys(check) as Array<keyof DeliveryCheck>) check[k] += p.check![k];
  }
  const fromResponse = percentiles(merge(parts.map((p) => p.fromResponse)));
  log(`${h.kind} ${n}: latency p99 ${fromResponse.p99Ms?.toFixed(1)} ms`);
  const arrived = parts.every((p) => p.arrived);
  return {
    ...base,
    metrics: {
      ...fromResponse,
      ...percentiles(merge(parts.map((p) => p.fromSent)), 'sent'),
      ...perDelivery(cost),
      writes: check.expected / n,
    },
    check,
    ok: clean(check) && arrived,
    ...(arrived ? {} : { note: 'deliveries did not all arrive within 30 s' }),
  };
}

async function capacityStep(
  plan: Plan,
  h: Held,
  n: number,
  log: (line: string) => void,
): Promise<ServerRow> {
  const s = h.session;
  const { writes, writesPerSec, p99LimitMs } = plan.capacity;
  const base = { group: 'capacity' as const, scenario: 'step', server: h.kind, subscribers: n };
  try {
    await s.server.gc();
    const mem = await s.stats();
    let arrived = true;
    const cost = await s.measure(async () => {
      arrived = await steadyWrites(s, PATH, writes, writesPerSec, 10_000 + n * 0.2);
    });
    const c = await s.check(true);
    const lat = percentiles(c.fromResponse!.latencies);
    const p99 = lat.p99Ms ?? Infinity;
    const ok = arrived && clean(c.check) && p99 <= p99LimitMs && s.server.alive;
    const reason = !s.server.alive
      ? 'server process died'
      : !arrived || !clean(c.check)
        ? `notifications missing (lost ${c.check.lost}, closed early ${c.check.closedEarly})`
        : `p99 ${p99.toFixed(0)} ms > ${p99LimitMs} ms`;
    log(`${h.kind} capacity ${n}: p99 ${p99.toFixed(1)} ms ${ok ? 'ok' : `FAIL: ${reason}`}`);
    return {
      ...base,
      metrics: { ...lat, ...perDelivery(cost), rssMB: mem.mem.rss / 2 ** 20 },
      check: c.check,
      ok,
      ...(ok ? {} : { note: reason }),
    };
  } catch (err) {
    return { ...base, metrics: {}, ok: false, note: (err as Error).message };
  }
}
