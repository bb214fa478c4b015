/**
 * The API `prep proxy` stands in front of in the benchmark: a minimal JSON key-value store on
 * node:http, in its own process (so the proxy's CPU is measured alone). GET answers the value
 * with a strong ETag, or 404; PUT stores the body and answers 204 with the new ETag, so the
 * proxy needs no read after a write (its write path costs one upstream round trip).
 *
 *   node --import tsx bench/servers/upstream-kv.ts   (a child of bench/servers/proxy.ts)
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const values = new Map<string, { body: Buffer; etag: string }>();
const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const path = req.url ?? '/';
  if (req.method === 'GET' || req.method === 'HEAD') {
    const v = values.get(path);
    if (!v) {
      res.writeHead(404, { 'Content-Length': 0 }).end();
      return;
    }
    if (req.headers['if-none-match'] === v.etag) {
      res.writeHead(304, { ETag: v.etag }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': v.body.length,
      ETag: v.etag,
    });
    res.end(req.method === 'HEAD' ? undefined : v.body);
    return;
  }
  if (req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 32)}"`;
      const created = !values.has(path);
      values.set(path, { body, etag });
      res.writeHead(created ? 201 : 204, { ETag: etag, 'Content-Length': 0 }).end();
    });
    return;
  }
  res.writeHead(405, { Allow: 'GET, HEAD, PUT', 'Content-Length': 0 }).end();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'upstream', url: `http://127.0.0.1:${port}` });
});
process.on('disconnect', () => process.exit(0));
