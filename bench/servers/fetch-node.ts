/**
 * The `fetch` group's fetch handler on node: the examples' documents app as a fetch handler
 * with `prepFetch`, served by `@hono/node-server` (each stream a `ReadableStream` body that
 * node-server reads and `res.write`s part by part).
 *
 *   node --import tsx bench/servers/fetch-node.ts   (as a child of bench/run.ts; it needs IPC)
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { prepFetch } from '../../src/server/index.js';
import { serveBenchIpc } from './child.js';
import { benchPrep, hubStats } from './embed.js';

const prep = benchPrep();
const server = serve({
  fetch: prepFetch(prep, docsHandler(prep)),
  port: 0,
  hostname: '127.0.0.1',
}) as Server;
server.keepAliveTimeout = 60_000;
server.once('listening', () => {
  const { port } = server.address() as AddressInfo;
  serveBenchIpc({ url: `http://127.0.0.1:${port}`, extra: hubStats(prep) });
});
