/**
 * `prep proxy` in front of small Express apps written here for what json-server cannot
 * show: an upstream that requires `Authorization` (the upstream decides who may read), and
 * one that holds a write's answer back (N822-3 through the proxy).
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import express from 'express';
import { parseEventsField } from '../../packages/client/src/core/events/index.js';
import { Subscriber, NotAStream } from '../helpers/subscriber.js';
import { send, startTestProxy, waitUntil } from './helpers.js';

/** Starts an Express app on 127.0.0.1:0; closed when the test ends. */
async function listen(t: TestContext, app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

/** Documents behind a bearer token; PUT answers 204 without an ETag (the proxy must read it). */
function protectedApi(seen: string[]) {
  const docs = new Map<string, unknown>([['1', { v: 0 }]]);
  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    seen.push(`${req.method} ${req.path} ${req.headers.authorization ?? '-'}`);
    if (req.headers.authorization === 'Bearer letmein') return next();
    res.status(401).set('WWW-Authenticate', 'Bearer realm="docs"').json({ error: 'who are you?' });
  });
  app.get('/docs/:id', (req, res) => {
    const doc = docs.get(req.params.id);
    if (doc === undefined) res.sendStatus(404);
    else res.json(doc);
  });
  app.put('/docs/:id', (req, res) => {
    docs.set(req.params.id, req.body);
    res.status(204).end();
  });
  return app;
}

test("SEC-1 ERR-2 an upstream that requires Authorization decides: without credentials its 401 and no stream; with them, a stream; a write is read back with the writer's credentials", async (t) => {
  const seen: string[] = [];
  const api = await listen(t, protectedApi(seen));
  const proxy = await startTestProxy(t, { upstream: api });

  for (const headers of [
    { 'Accept-Events': '"prep"' },
    { 'Accept-Events': '"prep"', Authorization: 'Bearer wrong' },
  ]) {
    const err = await Subscriber.open(`${proxy.url}/docs/1`, { headers }).then(
      () => assert.fail('no stream without the right credentials'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotAStream);
    assert.equal(err.status, 401);
    assert.equal(err.headers.get('www-authenticate'), 'Bearer realm="docs"');
    assert.deepEqual(JSON.parse(err.body), { error: 'who are you?' });
    // ERR-2: the upstream's answer, unchanged, plus the notifications' status.
    assert.equal(parseEventsField(err.headers.get('events'))?.status, 412);
    assert.doesNotMatch(err.headers.get('content-type') ?? '', /multipart/);
  }
  assert.equal(proxy.proxy.prep.engine.hub.stats.subscriptions, 0);

  const sub = await Subscriber.open(`${proxy.url}/docs/1`, {
    headers: { 'Accept-Events': '"prep"', Authorization: 'Bearer letmein' },
  });
  t.after(() => sub.close());
  assert.deepEqual(JSON.parse(Buffer.from(sub.part1.body).toString()), { v: 0 });
  // The base GET went to the upstream with the subscriber's own credentials, without PREP's fields.
  assert.ok(seen.includes('GET /docs/1 Bearer letmein'));

  seen.length = 0;
  const put = await send(
    `${proxy.url}/docs/1`,
    'PUT',
    { v: 1 },
    { Authorization: 'Bearer letmein' },
  );
  assert.equal(put.status, 204);
  assert.equal(put.headers.get('etag'), null, 'the upstream gave no ETag');
  const n = await sub.notification();
  assert.equal(n.method, 'PUT');
  const now = await fetch(`${api}/docs/1`, { headers: { Authorization: 'Bearer letmein' } });
  assert.equal(n.etag, now.headers.get('etag'), 'N822-5: read once after the write');
  // That read carried the writer's credentials.
  assert.deepEqual(seen.slice(0, 2), ['PUT /docs/1 Bearer letmein', 'GET /docs/1 Bearer letmein']);

  // A write the upstream refuses changes nothing and announces nothing.
  const refused = await send(`${proxy.url}/docs/1`, 'PUT', { v: 2 });
  assert.equal(refused.status, 401);
  await send(`${proxy.url}/docs/1`, 'PUT', { v: 3 }, { Authorization: 'Bearer letmein' });
  const next = await sub.notification();
  assert.equal(next.method, 'PUT');
  const latest = await fetch(`${api}/docs/1`, { headers: { Authorization: 'Bearer letmein' } });
  assert.deepEqual(await latest.json(), { v: 3 });
  assert.equal(next.etag, latest.headers.get('etag'));
  assert.equal(proxy.proxy.recorder.stats.recorded, 2);
});

test('N822-3 through the proxy: a write the upstream is still answering is notified only once its whole answer has gone to the writer, and a later write elsewhere is not held up', async (t) => {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  let headSent: () => void = () => undefined;
  const headOut = new Promise<void>((r) => (headSent = r));
  const app = express();
  app.use(express.json());
  const state = new Map<string, unknown>([
    ['/doc', { v: 0 }],
    ['/other', { v: 0 }],
  ]);
  app.get(['/doc', '/other'], (req, res) => res.json(state.get(req.path)));
  app.patch(['/doc', '/other'], (req, res) => {
    state.set(req.path, { ...(state.get(req.path) as object), ...(req.body as object) });
    const body = JSON.stringify(state.get(req.path));
    if (req.path === '/other') return res.json(state.get(req.path));
    // The change is made; its answer goes out in two pieces, the second on release.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.write(body.slice(0, 3));
    headSent();
    void released.then(() => res.end(body.slice(3)));
  });
  const api = await listen(t, app);
  const proxy = await startTestProxy(t, { upstream: api });
  // The proxy's side: when the writer's response finished, and when notification bytes were
  // written to the subscriber of /doc.
  const log: string[] = [];
  proxy.server.on('request', (req, res) => {
    if (req.method === 'PATCH' && req.url === '/doc') res.once('finish', () => log.push('finish'));
  });
  const serverSide = new Promise<Socket>((r) => proxy.server.once('connection', r));
  const doc = await Subscriber.open(`${proxy.url}/doc`);
  t.after(() => doc.close());
  const socket = await serverSide;
  const tapped = socket as unknown as { write: (chunk: Uint8Array) => boolean };
  const write = tapped.write.bind(socket);
  tapped.write = (chunk) => {
    if (Buffer.from(chunk).includes('Method: PATCH')) log.push('notify');
    return write(chunk);
  };
  const marker = await Subscriber.open(`${proxy.url}/other`);
  t.after(() => marker.close());

  const writer = fetch(`${proxy.url}/doc`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: '{"v":1}',
  });
  await headOut;
  const answer = await writer;
  assert.equal(answer.status, 200, 'the writer has the head');
  // Another write goes through and is announced while the first is still being answered.
  assert.equal((await send(`${proxy.url}/other`, 'PATCH', { v: 9 })).status, 200);
  assert.equal((await marker.notification()).method, 'PATCH');
  assert.deepEqual(log, [], 'the held write is not announced');
  assert.equal(doc.received.length, 0);

  release();
  assert.deepEqual(await answer.json(), { v: 1 });
  const n = await doc.notification();
  assert.equal(n.method, 'PATCH');
  await waitUntil(() => log.length === 2, 'the log');
  assert.deepEqual(log, ['finish', 'notify']);
});
