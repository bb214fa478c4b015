/**
 * The naive ceiling: a bare node:http server that keeps every notifications response open
 * and, on each write, `res.write`s one preformatted notification part to every open
 * response of the path: no coalescing, no yielding, no queue bounds. What a straightforward
 * PREP server costs per delivery (peers.md §9: ~15-19 µs per `res.write` on this box).
 *
 *   node --import tsx bench/servers/naive.ts   (as a child of bench/run.ts; it needs IPC)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveBenchIpc } from './child.js';
import { boundary, notificationPart, prepHead, prepHeaders, put, type Held } from './part.js';

const state = new Map<string, Held>();
const streams = new Map<string, Set<http.ServerResponse>>();

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET') {
    const held = state.get(path);
    if (!held) {
      res.writeHead(404, { 'Content-Length': 0 }).end();
      return;
    }
    if (!String(req.headers['accept-events'] ?? '').includes('"prep"')) {
      res.writeHead(200, { 'Content-Type': held.type, ETag: held.etag }).end(held.body);
      return;
    }
    const mixed = boundary();
    res.writeHead(200, prepHeaders(mixed));
    res.write(prepHead(mixed, held.digest, held.type, held.body));
    let set = streams.get(path);
    if (!set) streams.set(path, (set = new Set()));
    const subscribers = set;
    subscribers.add(res);
    res.on('close', () => subscribers.delete(res));
    return;
  }
  if (req.method === 'PUT') {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const held = put(
        state,
        path,
        req.headers['content-type'] ?? 'application/octet-stream',
        Buffer.concat(parts),
      );
      res.writeHead(204, { ETag: held.etag }).end();
      res.once('finish', () => {
        const part = notificationPart(held.digest, {
          method: 'PUT',
          eventId: String(held.seq),
          etag: held.etag,
        });
        for (const r of streams.get(path) ?? []) r.write(part);
      });
    });
    return;
  }
  res.writeHead(405, { 'Content-Length': 0 }).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBenchIpc({ url: `http://127.0.0.1:${port}` });
});
