/**
 * `prep proxy` in front of a minimal JSON API (upstream-kv.ts, its own process), as `prep
 * proxy` runs it, its log in memory (BENCH_STORE=sqlite: SQLite in a temporary file), limits
 * raised as for ours. The subscribers and writers talk to the proxy; the fan-out is the same
 * engine as ours, and a write costs one round trip to the upstream on top (reported as
 * `upstreamRoundTripMs`).
 *
 *   node --import tsx bench/servers/proxy.ts   (as a child of bench/run.ts; it needs IPC)
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { startProxy } from '../../src/server/index.js';
import { openBenchStore, serveBenchIpc } from './child.js';

const upstream = fork(join(import.meta.dirname, 'upstream-kv.ts'), {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
process.once('exit', () => upstream.kill('SIGKILL'));
const upstreamUrl = await new Promise<string>((resolve, reject) => {
  upstream.once('message', (m) => resolve((m as { url: string }).url));
  upstream.once('exit', () => reject(new Error('the upstream exited before it listened')));
});

const { store, dispose } = await openBenchStore();

const running = await startProxy({
  upstream: upstreamUrl,
  store,
  port: 0,
  expires: 3600,
  keepAliveMs: 30_000,
  limits: { maxSubscriptions: 10_000_000, maxPerClient: 10_000_000, maxPerResource: 10_000_000 },
  maxRequests: 100_000,
});

serveBenchIpc({
  url: running.url,
  extra: () => {
    const stats = running.proxy.stats();
    return {
      ...stats.hub,
      upstreamRequests: stats.upstream.answered,
      upstreamHeadUs: stats.upstream.headUs,
      recorded: stats.recorder.recorded,
      followUps: stats.recorder.followUps,
    };
  },
  async close() {
    await running.close();
    await dispose();
    upstream.kill();
  },
});
