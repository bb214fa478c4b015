// The admin listener's /metrics, /healthz and /readyz on a real server (SQLite, so the log is
// followed): the metrics are read before and after a scripted load (streams, writes, a
// refusal, a request over a bound) and each moves by what the load did.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { test, type TestContext } from 'node:test';
import type { RequestRecord } from '../../src/server/engine/request-record.js';
import { startHttp2Server } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { startAdminServer } from '../../src/server/ops/admin-server.js';
import { PrepMetrics } from '../../src/server/ops/metrics.js';
import { checkReadiness } from '../../src/server/ops/readiness.js';
import type { ServerOptions } from '../../src/server/index.js';
import { defer } from '../helpers/cleanup.js';
import { expectProblem, put, subscribe } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';
import { parseScrape, type Scrape } from './prometheus.js';

const JSON_PATCH = '"prep";accept=("message/rfc822";delta="application/json-patch+json")';

/** A server on SQLite with metrics and an admin listener, as `prep serve --admin-port` has. */
async function serveWithAdmin(t: TestContext, options: Partial<ServerOptions> = {}) {
  // The listener takes the metrics' request hook; the metrics need the listener's app.
  const hook: { metrics?: PrepMetrics } = {};
  const srv = await startTestServer(t, {
    store: 'sqlite',
    writeRate: false,
    ...options,
    onRequest: (r) => hook.metrics?.request(r),
  });
  const { app } = srv;
  const m = new PrepMetrics({
    engine: app.engine,
    events: app.events,
    storeErrors: app.storeErrors,
  });
  hook.metrics = m;
  let draining = false;
  const admin = await startAdminServer({
    port: 0,
    metrics: async () => ({ contentType: m.contentType, body: await m.metrics() }),
    readiness: () =>
      checkReadiness({ events: app.events, history: app.history, draining: () => draining }),
  });
  defer(t, () => admin.close());
  const scrape = async (): Promise<Scrape> => {
    const res = await fetch(`${admin.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseScrape(await res.text());
  };
  return { srv, admin, scrape, drain: () => (draining = true) };
}

test('/metrics moves as a scripted load of streams, writes, a refusal and an oversized body says', async (t) => {
  const { srv, scrape } = await serveWithAdmin(t, {
    limits: { maxPerClient: 5 },
    maxBodyBytes: 1024,
  });
  const doc = `${srv.url}/doc`;
  assert.equal((await put(doc, '{"n":0}')).status, 201);
  await srv.app.events.caughtUp();
  const before = await scrape();
  const open = { format: 'message/rfc822', delta: '', http_version: '1.1' };
  const openDelta = { ...open, delta: 'application/json-patch+json' };
  assert.equal(before.count('prep_streams_open', open), 0);

  // Five streams (one with deltas), then a sixth over the per-client bound (SEC-2).
  const subs = [
    ...(await Promise.all(Array.from({ length: 4 }, () => subscribe(t, doc)))),
    await subscribe(t, doc, { 'Accept-Events': JSON_PATCH }),
  ];
  const sixth = await fetch(doc, { headers: { 'Accept-Events': '"prep"' } });
  assert.match(sixth.headers.get('events') ?? '', /status=429/);
  await sixth.arrayBuffer();
  for (let n = 1; n <= 10; n++) assert.equal((await put(doc, JSON.stringify({ n }))).status, 204);
  await expectProblem(await put(doc, JSON.stringify({ pad: 'x'.repeat(2000) })), 413);
  for (const s of subs) for (let i = 0; i < 10; i++) assert.ok(await s.next(), 'a notification');

  const after = await scrape();
  const moved = (name: string, labels?: Record<string, string>) =>
    after.count(name, labels) - before.count(name, labels);
  assert.equal(after.value('prep_streams_open', open), 4);
  assert.equal(after.value('prep_streams_open', openDelta), 1);
  assert.equal(moved('prep_deliveries_total'), 50, 'ten parts to each of five streams');
  const writes = moved('prep_stream_writes_total');
  assert.ok(writes >= 2 && writes <= 50, `socket writes: ${writes}`);
  assert.ok(moved('prep_stream_bytes_total') > 50 * 100, 'the bytes of fifty parts and more');
  assert.equal(moved('prep_writes_total', { method: 'PUT', status: '204' }), 10);
  assert.equal(moved('prep_writes_total', { method: 'PUT', status: '413' }), 1);
  assert.equal(moved('prep_write_duration_seconds_count', { method: 'PUT' }), 11);
  assert.equal(moved('prep_problems_total', { code: 'BODY_TOO_LARGE', status: '413' }), 1);
  assert.equal(moved('prep_stream_refusals_total', { reason: 'max-subscriptions-per-client' }), 1);
  const broadcasts = moved('prep_commit_to_delivery_seconds_count');
  assert.ok(
    broadcasts >= 2 && broadcasts <= 20,
    `a broadcast per channel per batch: ${broadcasts}`,
  );
  assert.equal(after.value('prep_subscriber_queue_bytes_count'), 5, 'one sample per stream');
  assert.equal(after.value('prep_follower_lag_events'), 0);
  assert.equal(after.value('prep_follower_lag_seconds'), 0);
  assert.equal(after.value('prep_slow_consumers_closed_total'), 0);
  assert.equal(after.value('prep_draining'), 0);
  // Node's own: the event loop's delay and the descriptors in use.
  assert.ok(after.typed('nodejs_eventloop_lag_seconds', 'gauge'));
  assert.ok((after.value('process_open_fds') ?? 0) > 0);
  assert.ok(after.typed('prep_deliveries_total', 'counter'));
  assert.ok(after.typed('prep_subscriber_queue_bytes', 'histogram'));

  for (const s of subs) await s.close();
  await eventually(
    async () => (await scrape()).count('prep_streams_open', open) === 0,
    'the closed streams to leave the gauge',
  );
});

test('/healthz answers, /readyz is 200 while the store answers and 503 once it does not, or while draining; other paths are problems', async (t) => {
  const { srv, admin, scrape, drain } = await serveWithAdmin(t);
  const health = await fetch(`${admin.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${admin.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    ready: true,
    store: 'ok',
    follower: { events: 0, seconds: 0 },
    draining: false,
  });
  await expectProblem(await fetch(`${admin.url}/doc`), 404, 'NOT_FOUND');
  await expectProblem(
    await fetch(`${admin.url}/metrics`, { method: 'POST' }),
    405,
    'METHOD_NOT_ALLOWED',
  );

  drain();
  const draining = await fetch(`${admin.url}/readyz`);
  assert.equal(draining.status, 503);
  assert.equal(((await draining.json()) as { draining: boolean }).draining, true);

  // The database goes away: requests fail with 503, counted as store errors; not ready.
  const before = (await scrape()).count('prep_store_errors_total', { code: 'STORE_CLOSED' });
  await srv.store.close();
  await expectProblem(await put(`${srv.url}/x`, '{}'), 503, 'STORE_CLOSED');
  const after = await scrape();
  assert.equal(after.count('prep_store_errors_total', { code: 'STORE_CLOSED' }) - before, 1);
  assert.ok(Number.isNaN(after.value('prep_follower_lag_seconds')), 'the lag is unknown');
  const down = await fetch(`${admin.url}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as { ready: boolean; store: string };
  assert.equal(body.ready, false);
  assert.notEqual(body.store, 'ok');
  assert.equal((await fetch(`${admin.url}/healthz`)).status, 200, 'the process still answers');
});

test('SEC-4 over HTTP/2 (h2c), a stream is counted as HTTP/2 and its record has its body bytes', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const records: RequestRecord[] = [];
  const running = await startHttp2Server({
    store,
    h2c: true,
    port: 0,
    onRequest: (r) => records.push(r),
  });
  defer(t, () => store.close());
  defer(t, () => running.close());
  const metrics = new PrepMetrics(
    { engine: running.app.engine, events: running.app.events },
    { defaultMetrics: false },
  );
  const session = http2.connect(running.url);
  defer(t, () => session.close());
  const request = (headers: http2.OutgoingHttpHeaders, body?: string) => {
    const stream = session.request(headers);
    if (body !== undefined) stream.end(body);
    return stream;
  };
  const created = request(
    { ':method': 'PUT', ':path': '/doc', 'content-type': 'application/json' },
    '{"n":0}',
  );
  created.resume();
  await new Promise((resolve) => created.once('end', resolve));
  const live = request({ ':path': '/doc', 'accept-events': '"prep"' });
  let received = 0;
  live.on('data', (chunk: Buffer) => (received += chunk.length));
  await eventually(() => received > 0, 'the stream to open');
  const scrape = parseScrape(await metrics.metrics());
  assert.equal(
    scrape.value('prep_streams_open', { format: 'message/rfc822', delta: '', http_version: '2' }),
    1,
  );
  live.close();
  await eventually(() => records.some((r) => r.stream), 'the stream’s record');
  const put = records.find((r) => r.method === 'PUT')!;
  assert.equal(put.httpVersion, '2.0');
  assert.equal(put.status, 201);
  const stream = records.find((r) => r.stream)!;
  assert.equal(stream.bytes, received, 'the body bytes the client got');
});
