/**
 * Our server as `prep serve` runs it, on an in-memory store (so the fan-out is compared, not
 * the disk; BENCH_STORE=sqlite uses SQLite in a temporary file), with limits raised so the
 * benchmark, not SEC-2, decides how many subscribers there are.
 *
 *   node --import tsx bench/servers/ours.ts   (as a child of bench/run.ts; it needs IPC)
 */
import { startServer } from '../../src/server/index.js';
import { openBenchStore, serveBenchIpc } from './child.js';

const { store, dispose } = await openBenchStore();

// Knobs for experiments (bench/README.md): the hub's queue bound and yield interval.
const maxQueueBytes = Number(process.env.BENCH_MAX_QUEUE_BYTES ?? 0);
const writesPerTurn = Number(process.env.BENCH_WRITES_PER_TURN ?? 0);
const running = await startServer({
  store,
  port: 0,
  expires: 3600,
  keepAliveMs: 30_000,
  limits: { maxSubscriptions: 10_000_000, maxPerClient: 10_000_000, maxPerResource: 10_000_000 },
  ...(maxQueueBytes > 0 ? { maxQueueBytes } : {}),
  ...(writesPerTurn > 0 ? { writesPerTurn } : {}),
});

serveBenchIpc({
  url: running.url,
  extra: () => ({ ...running.app.engine.hub.stats }),
  async close() {
    await running.close();
    await dispose();
  },
});
