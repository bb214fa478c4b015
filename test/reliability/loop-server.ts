/**
 * The server the event-loop test measures (`event-loop.test.ts`), run as a child process so
 * that the client's work is not counted: `startServer` over a SQLite file with every bound at
 * its default, and `perf_hooks.monitorEventLoopDelay` over its own loop.
 *
 * argv[2] is the SQLite file; argv[3] a JSON object of extra `startServer` options. It
 * prints `listening on URL` and answers the IPC messages `{ id, type: 'reset' }` (starts a
 * new measurement) and `{ id, type: 'delay' }` (`{ id, maxMs, p99Ms, heldMs }` since the
 * reset).
 *
 * `maxMs` is the loop delay as `monitorEventLoopDelay` sees it: wall time, so on a loaded
 * machine it also counts the time this thread was ready to run but waited for a CPU.
 * `heldMs` is the longest gap between two ticks of a 2 ms timer less that wait, read from
 * the kernel's per-thread run-queue figure (`/proc/thread-self/schedstat`, Linux): the time
 * the loop was held by this process's own work (its JavaScript, GC, blocking system calls
 * such as SQLite's fsync), whoever else shares the machine; reported as the lower of it and
 * `maxMs`, both being bounds of that time. Without schedstat it is `maxMs`.
 */
import { readFileSync } from 'node:fs';
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

/** Nanoseconds this thread has waited on a run queue, or undefined off Linux. */
function runQueueWaitNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[1]);
  } catch {
    return undefined;
  }
}

const TICK_MS = 2;
let heldMs = 0;
let lastTick = performance.now();
let lastWait = runQueueWaitNs();
setInterval(() => {
  const now = performance.now();
  const wait = runQueueWaitNs();
  const waitedMs = wait !== undefined && lastWait !== undefined ? (wait - lastWait) / 1e6 : 0;
  heldMs = Math.max(heldMs, now - lastTick - TICK_MS - waitedMs);
  lastTick = now;
  lastWait = wait;
}, TICK_MS);
const schedstat = lastWait !== undefined;

process.on('message', (message: { id?: number; type?: string }) => {
  if (message.type === 'reset') {
    histogram.reset();
    heldMs = 0;
    process.send?.({ id: message.id });
  } else if (message.type === 'delay') {
    process.send?.({
      id: message.id,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      // Both are bounds of the time the loop was held by this process's work: the lower one.
      heldMs: schedstat ? Math.min(heldMs, histogram.max / 1e6) : histogram.max / 1e6,
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.stdout.write(`loop-server: listening on ${running.url}\n`);
