/**
 * The server the event-loop test measures (`event-loop.test.ts`), run as a child process so
 * that the client's work is not counted: `startServer` over a SQLite file with every bound at
 * its default, and `perf_hooks.monitorEventLoopDelay` over its own loop.
 *
 * argv[2] is the SQLite file; argv[3] a JSON object of extra `startServer` options. It
 * prints `listening on URL` and answers the IPC messages `{ id, type: 'reset' }` (starts a
 * new measurement) and `{ id, type: 'delay' }` (`{ id, maxMs, p99Ms }` since the reset).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer, type ServerOptions } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';

const store = new SqliteStore({ filename: process.argv[2] ?? ':memory:' });
await store.open();
const options = JSON.parse(process.argv[3] ?? '{}') as Omit<ServerOptions, 'store'>;
const running = await startServer({ ...options, store, port: 0, host: '127.0.0.1' });

// Sampled every 5 ms: a turn that holds the loop for X ms shows as a delay of about X.
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

process.on('message', (message: { id?: number; type?: string }) => {
  if (message.type === 'reset') {
    histogram.reset();
    process.send?.({ id: message.id });
  } else if (message.type === 'delay') {
    process.send?.({
      id: message.id,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.stdout.write(`loop-server: listening on ${running.url}\n`);
