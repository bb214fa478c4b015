/**
 * The server the flood and leak tests measure, run as a child process with `--expose-gc`
 * (see `startStatsServer` in helpers.ts), so its heap holds nothing of the client load.
 *
 * argv[2] is a JSON object of `startServer` options (limits, timeouts, queue bounds); the
 * store is a fresh MemoryStore. It prints `listening on URL`, and answers every IPC message
 * `{ id, type: 'stats' }` with `{ id, stats }` measured after three garbage collections.
 */
import { startServer, type ServerOptions } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<ServerOptions, 'store'>;
const store = new MemoryStore();
await store.open();
const running = await startServer({ ...options, store, port: 0, host: '127.0.0.1' });

const gc = (globalThis as { gc?: () => void }).gc;
/** `process._getActiveHandles()`: undocumented, but what "open handles" means in Node. */
const activeHandles = () =>
  (process as unknown as { _getActiveHandles(this: void): unknown[] })._getActiveHandles();

async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    // Finalizers and weak callbacks run between collections.
    await new Promise((r) => setImmediate(r));
  }
}

process.on('message', (message: { id?: number; type?: string }) => {
  if (message.type !== 'stats') return;
  void (async () => {
    await collect();
    const connections = await new Promise<number>((resolve) =>
      running.server.getConnections((err, n) => resolve(err ? -1 : n)),
    );
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const stats = running.app.engine.hub.stats;
    process.send?.({
      id: message.id,
      stats: {
        subscriptions: stats.subscriptions,
        channels: stats.channels,
        slowClosed: stats.slowClosed,
        connections,
        handles: activeHandles().length,
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        external: memory.external,
        cpuMs: (cpu.user + cpu.system) / 1000,
      },
    });
  })();
});
// The parent going away ends this process too.
process.on('disconnect', () => process.exit(0));

process.stdout.write(`stats-server: listening on ${running.url}\n`);
