/**
 * Scenario 5, many resources: N subscribers spread evenly over R resources; writes spread
 * uniformly over the resources, made as fast as the server answers by W keep-alive
 * connections (each owns the resources r ≡ w mod W, so the writes to one resource never
 * overlap and their order is known). Measures writes/s, deliveries/s, server CPU per
 * delivery and per write, and the latency of each notification from its write's response.
 */
import { LoadPool } from '../load/pool.js';
import type { ServerKind } from '../servers/spawn.js';
import type { Plan } from './plan.js';
import { Session, clean, percentiles, perDelivery } from './session.js';
import type { ServerRow } from './types.js';
import { random as prng } from '../../test/helpers/random.js';

export async function runResources(
  plan: Plan,
  servers: readonly ServerKind[],
  log: (line: string) => void,
  requested: number | undefined,
): Promise<ServerRow[]> {
  const rows: ServerRow[] = [];
  const { subscribers: n, resources, writes, writers } = plan.resources;
  const paths = Array.from({ length: resources }, (_, i) => `/res/${i}`);
  const base = (kind: ServerKind) => ({
    group: 'resources' as const,
    scenario: `${resources} resources`,
    server: kind,
    subscribers: n,
    ...(requested === undefined ? {} : { requested }),
  });
  // Setup (resources, subscriptions) one server at a time, all held; then each is measured
  // in turn.
  const sessions: Array<Session | Error> = [];
  for (const kind of servers) {
    const pool = await LoadPool.start(plan.loadProcesses);
    try {
      const s = await Session.open(kind, pool);
      try {
        await s.setup(paths);
        const conn = await s.subscribe(paths, n);
        if (conn.failed > 0)
          throw new Error(`${conn.failed} subscriptions failed: ${conn.errors.join('; ')}`);
        log(`${kind} resources: ${conn.ready} subscribed over ${resources} resources`);
        sessions.push(s);
      } catch (err) {
        await s.close();
        throw err;
      }
    } catch (err) {
      pool.stop();
      sessions.push(err as Error);
    }
  }
  try {
    for (const [i, kind] of servers.entries()) {
      const s = sessions[i]!;
      if (s instanceof Error) {
        log(`${kind} resources: FAILED ${s.message}`);
        rows.push({ ...base(kind), metrics: {}, ok: false, note: s.message });
        continue;
      }
      try {
        const run = async (count: number, seed: number) => {
          await Promise.all(
            Array.from({ length: writers }, async (_, w) => {
              const own = paths.filter((_, k) => k % writers === w);
              const random = prng(seed + w);
              for (let k = 0; k < Math.ceil(count / writers); k++)
                await s.write(own[Math.floor(random() * own.length)]!, w);
            }),
          );
        };
        await run(writers * 5, 1); // warm-up
        await s.pool.until(30_000);
        let arrived = true;
        const cost = await s.measure(async () => {
          await run(writes, 1000);
          arrived = await s.pool.until(30_000);
        });
        const c = await s.check(true);
        const made = writers * Math.ceil(writes / writers);
        rows.push({
          ...base(kind),
          metrics: {
            ...perDelivery(cost),
            ...percentiles(c.fromResponse!.latencies),
            writesPerSec: (made / cost.wallMs) * 1000,
            cpuPerWriteUs: (cost.serverUser + cost.serverSys) / made,
            writes: made,
          },
          check: c.check,
          ok: clean(c.check) && arrived,
          ...(arrived ? {} : { note: 'deliveries did not all arrive within 30 s' }),
        });
        log(`${kind} resources: ${rows.at(-1)!.metrics.cpuUs?.toFixed(2)} µs/delivery`);
      } catch (err) {
        log(`${kind} resources: FAILED ${(err as Error).message}`);
        rows.push({ ...base(kind), metrics: {}, ok: false, note: (err as Error).message });
      }
    }
  } finally {
    for (const s of sessions)
      if (!(s instanceof Error)) {
        await s.close().catch(() => undefined);
        s.pool.stop();
      }
  }
  return rows;
}
