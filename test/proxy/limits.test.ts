/**
 * `prep proxy`'s bounds and failures (SEC-2): every cost a client can cause has a limit, the
 * upstream failing is a problem+json answer, and what cannot be streamed is said in `Events`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test, type TestContext } from 'node:test';
import { parseEventsField } from '../../packages/client/src/core/events/index.js';
import { Subscriber } from '../helpers/subscriber.js';
import { freePort, send, startTestProxy } from './helpers.js';

/** A node:http upstream answering with `handler`; closed when the test ends. */
async function upstream(t: TestContext, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function problemOf(res: Response): Promise<{ status: number; code: string }> {
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const doc = (await res.json()) as { status: number; code: string };
  assert.equal(doc.status, res.status);
  return { status: res.status, code: doc.code };
}

const eventsStatus = (res: Response): number | undefined =>
  parseEventsField(res.headers.get('events'))?.status;

test('an upstream that cannot be reached is a 502 problem (and, for a notifications request, Events status 412); one that does not answer in time a 504', async (t) => {
  const nobody = await startTestProxy(t, { upstream: `http://127.0.0.1:${await freePort()}` });
  const plain = await fetch(`${nobody.url}/posts/1`);
  assert.deepEqual(await problemOf(plain), { status: 502, code: 'UPSTREAM_UNREACHABLE' });
  const prep = await fetch(`${nobody.url}/posts/1`, { headers: { 'Accept-Events': '"prep"' } });
  assert.equal(eventsStatus(prep), 412);
  assert.deepEqual(await problemOf(prep), { status: 502, code: 'UPSTREAM_UNREACHABLE' });

  const silent = await upstream(t, () => undefined);
  const slow = await startTestProxy(t, { upstream: silent, headTimeoutMs: 200 });
  assert.deepEqual(await problemOf(await fetch(`${slow.url}/x`)), {
    status: 504,
    code: 'UPSTREAM_TIMEOUT',
  });
});

test('SEC-2 requests to the upstream in flight are bounded: beyond maxRequests a 503 with Retry-After, at once', async (t) => {
  const held: http.ServerResponse[] = [];
  const api = await upstream(t, (_req, res) => {
    if (held.length < 2) held.push(res);
    else res.end('done');
  });
  const proxy = await startTestProxy(t, { upstream: api, maxRequests: 2 });
  const first = [fetch(`${proxy.url}/a`), fetch(`${proxy.url}/b`)];
  await new Promise<void>((resolve) => {
    const check = () => (held.length === 2 ? resolve() : setTimeout(check, 5));
    check();
  });
  const third = await fetch(`${proxy.url}/c`);
  assert.deepEqual(await problemOf(third), { status: 503, code: 'UPSTREAM_BUSY' });
  assert.equal(third.headers.get('retry-after'), '1');
  for (const res of held) res.end('done');
  for (const r of await Promise.all(first)) assert.equal(await r.text(), 'done');
  assert.equal((await fetch(`${proxy.url}/d`)).status, 200, 'free again');
  assert.equal(proxy.proxy.upstream.stats.busy, 1);
});

test('SEC-2 request bodies are bounded (413, declared or chunked), and upstream errors pass through as they are', async (t) => {
  const bodies: number[] = [];
  const api = await upstream(t, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      bodies.push(n);
      res.writeHead(500, 'Upstream Broke', { 'Content-Type': 'text/plain', 'X-Why': 'test' });
      res.end(`got ${n}`);
    });
  });
  const proxy = await startTestProxy(t, { upstream: api, maxBodyBytes: 100 });
  const small = await fetch(`${proxy.url}/x`, { method: 'PUT', body: 'x'.repeat(100) });
  assert.equal(small.status, 500, 'an upstream error passes through');
  assert.equal(small.statusText, 'Upstream Broke');
  assert.equal(small.headers.get('x-why'), 'test');
  assert.equal(await small.text(), 'got 100');
  const declared = await fetch(`${proxy.url}/x`, { method: 'PUT', body: 'x'.repeat(101) });
  assert.deepEqual(await problemOf(declared), { status: 413, code: 'BODY_TOO_LARGE' });
  const chunked = await fetch(`${proxy.url}/x`, {
    method: 'POST',
    body: new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('y'.repeat(50)));
        c.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  assert.deepEqual(await problemOf(chunked), { status: 413, code: 'BODY_TOO_LARGE' });
  assert.deepEqual(bodies, [100], 'no body over the bound reached the upstream whole');
  const long = await fetch(`${proxy.url}/${'a'.repeat(5000)}`);
  assert.deepEqual(await problemOf(long), { status: 414, code: 'URI_TOO_LONG' });
});

test('ERR-3 a base over maxBaseBytes goes out as the upstream sent it, with Events status 503; ERR-1 a URL with a query is not watched; SEC-2 the per-client stream bound holds', async (t) => {
  const big = Buffer.alloc(5000, 'b');
  const api = await upstream(t, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': big.length });
      res.end(big);
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"1"' });
      res.end(JSON.stringify({ url: req.url, accept: req.headers['accept-events'] ?? null }));
    }
  });
  const proxy = await startTestProxy(t, {
    upstream: api,
    maxBaseBytes: 1000,
    limits: { maxPerClient: 1 },
  });
  const over = await fetch(`${proxy.url}/big`, { headers: { 'Accept-Events': '"prep"' } });
  assert.equal(over.status, 200);
  assert.equal(eventsStatus(over), 503);
  assert.deepEqual(Buffer.from(await over.arrayBuffer()), big);

  // A query string names another resource: passed on as it is, Accept-Events included.
  const query = await fetch(`${proxy.url}/doc?page=2`, { headers: { 'Accept-Events': '"prep"' } });
  assert.equal(query.headers.get('events'), null);
  assert.deepEqual(await query.json(), { url: '/doc?page=2', accept: '"prep"' });

  const one = await Subscriber.open(`${proxy.url}/doc`);
  t.after(() => one.close());
  const two = await fetch(`${proxy.url}/doc`, { headers: { 'Accept-Events': '"prep"' } });
  assert.equal(two.status, 200);
  assert.equal(eventsStatus(two), 429);
  assert.ok(two.headers.get('retry-after'));
  // The base a refused stream carries is the upstream's, without PREP's request fields.
  assert.deepEqual(await two.json(), { url: '/doc', accept: null });
});

test("a path prefix on the upstream URL: /posts is the upstream's /api/posts, and a Location under the prefix names the proxy's member", async (t) => {
  const api = await upstream(t, (req, res) => {
    if (req.method === 'POST') {
      res.writeHead(201, { Location: '/api/posts/7', ETag: '"7"' });
      res.end();
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"list"' });
      res.end(JSON.stringify({ url: req.url }));
    }
  });
  const proxy = await startTestProxy(t, { upstream: `${api}/api` });
  assert.deepEqual(await (await fetch(`${proxy.url}/posts?x=1`)).json(), {
    url: '/api/posts?x=1',
  });
  const list = await Subscriber.open(`${proxy.url}/posts`);
  t.after(() => list.close());
  const created = await send(`${proxy.url}/posts`, 'POST', { title: 't' });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('location'), '/api/posts/7', 'passed on as it is');
  const n = await list.notification();
  assert.equal(n.contentLocation, '/posts/7');
});
