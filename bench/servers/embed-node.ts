/**
 * The `fetch` group's node:http path: the examples' documents app with `prepListener`
 * (pre-framed chunks straight to each socket), beside the same app through the fetch handler.
 *
 *   node --import tsx bench/servers/embed-node.ts   (as a child of bench/run.ts; it needs IPC)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { docsListener } from '../../examples/node-http.js';
import { prepListener } from '../../src/server/index.js';
import { serveBenchIpc } from './child.js';
import { benchPrep, hubStats } from './embed.js';

const prep = benchPrep();
const server = http.createServer(prepListener(prep, docsListener(prep)));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBenchIpc({ url: `http://127.0.0.1:${port}`, extra: hubStats(prep) });
});
