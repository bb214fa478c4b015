/**
 * The `fetch` group's fetch handler on Bun: `Bun.serve` with `prepFetch` around the
 * examples' documents app.
 *
 *   bun bench/servers/fetch-bun.ts   (as a child of bench/run.ts; it needs IPC)
 */
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { prepFetch } from '../../src/server/index.js';
import { serveBenchIpc } from './child.js';
import { benchPrep, hubStats } from './embed.js';

const prep = benchPrep();
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  idleTimeout: 0,
  fetch: prepFetch(prep, docsHandler(prep)),
});
serveBenchIpc({ url: server.url.origin, extra: hubStats(prep) });
