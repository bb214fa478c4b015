/**
 * Scenario 5, many resources: N subscribers spread evenly over R resources; writes spread
 * uniformly over the resources, made as fast as the server answers by W keep-alive
 * connections (each owns the resources r ≡ w mod W, so the writes to one resource never
 * overlap and their order is known). Measures writes/s, deliveries/s, server CPU per
 * delivery and per write, and the latency of each notification from its write's response.
 */
import type { LoadPool } from '../load/pool.js';
import type { ServerKind } from '../servers/spawn.js';
import type { Plan } from './plan.js';
import { Session, clean, percentiles, perDelivery } from './session.js';
import type { ServerRow } from './types.js';

/** A small deterministic PRNG (mulberry32), so every server gets the same writes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runResources(
  plan: Plan,
  pool: LoadPool,
  servers: readonly ServerKind[],
  log: (line: string) => void,
  requested: number | undefined,
): Promise<ServerRow[]> {
  const rows: ServerRow[] = [];
  const { subscribers: n, resources, writes, writers } = plan.resources;
  const paths = Array.from({ length: resources }, (_, i) => `/res/${i}`);
  for (const kind of servers) {
    const base = {
      group: 'resources' as const,
      scenario: `${resources} resources`,
      server: kind,
      subscribers: n,
      ...(requested === undefined ? {} : { requested }),
    };
    let session: Session | undefined;
    try {
      session = await Session.open(kind, pool);
      const s = session;
      await s.setup(paths);
      const conn = await s.subscribe(paths, n);
      if (conn.failed > 0)
        throw new Error(`${conn.failed} subscriptions failed: ${conn.errors.join('; ')}`);
      log(`${kind} resources: ${conn.ready} subscribed over ${resources} resources`);
      const run = async (count: number, seed: number) => {
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            const own = paths.filter((_, i) => i % writers === w);
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
        ...base,
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
      rows.push({ ...base, metrics: {}, ok: false, note: (err as Error).message });
    } finally {
      await session?.close();
    }
  }
  return rows;
}
