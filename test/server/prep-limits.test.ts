/**
 * Bounds and fan-out on the wire (SEC-2, DESIGN.md "Fan-out"): subscription limits answered
 * with an `Events` status, slow subscribers closed cleanly, and many subscribers × many
 * writes delivered exactly once and in order.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { text } from '../helpers/documents.js';
import { assertDelimitersEndChunks, prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, type RawClient, type RawResponse } from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';
import { type Subscriber } from '../helpers/subscriber.js';
import { eventually } from '../helpers/wait.js';

/** A GET with Accept-Events that the limits turn down: the base response, plus Events. */
async function refused(srv: TestServer, path: string): Promise<RawResponse> {
  const r = await srv.rawRequest({ method: 'GET', path, headers: { 'Accept-Events': '"prep"' } });
  assert.equal(r.status, 200); // ERR-4: the base status
  assert.equal(r.get('content-type'), 'application/json');
  assert.ok(r.body.length > 0, 'the base body is served');
  return r;
}

async function assertStillServing(srv: TestServer, live: { client: RawClient }, n: number) {
  assert.equal((await srv.request('/a')).status, 200);
  assert.equal((await srv.put('/a', { v: n })).status, 204);
  await live.client.waitFor(
    () => prepOf(live.client.responses[0]!).notifications.length >= n,
    'the live stream to go on',
  );
}

test('SEC-2 ERR-3 maxSubscriptions: beyond it, Events status=503 with Retry-After, and the server goes on', async () => {
  await withServer({ limits: { maxSubscriptions: 1, retryAfter: 7 } }, async (srv) => {
    await srv.put('/a', { v: 0 });
    await srv.put('/b', { v: 0 });
    const live = await rawSubscribe(srv, '/a');
    const r = await refused(srv, '/b');
    assert.equal(r.get('events'), 'protocol="prep", status=503');
    assert.equal(r.get('retry-after'), '7');
    await assertStillServing(srv, live, 1);
    // Once the stream is gone, there is room again.
    live.client.close();
    await eventually(() => srv.app.engine.hub.stats.subscriptions === 0, 'the slot to free');
    const next = await rawSubscribe(srv, '/b');
    assert.equal(next.response.get('events')?.includes('status=200'), true);
  });
});

test('SEC-2 ERR-3 maxPerClient: beyond it, Events status=429 with Retry-After; a slot frees when a stream ends', async () => {
  await withServer({ limits: { maxPerClient: 2 } }, async (srv) => {
    await srv.put('/a', { v: 0 });
    await srv.put('/b', { v: 0 });
    const live = await rawSubscribe(srv, '/a');
    const other = await rawSubscribe(srv, '/b');
    const r = await refused(srv, '/b');
    assert.equal(r.get('events'), 'protocol="prep", status=429');
    assert.equal(r.get('retry-after'), '5');
    await assertStillServing(srv, live, 1);
    // A stream that ends (here: its resource is deleted) gives its slot back.
    assert.equal((await srv.request('/b', { method: 'DELETE' })).status, 204);
    await other.client.response(0);
    await srv.put('/b', { v: 1 });
    await eventually(() => srv.app.engine.hub.stats.subscriptions === 1, 'the slot to free');
    const again = await rawSubscribe(srv, '/b');
    assert.equal(again.response.get('events')?.includes('status=200'), true);
  });
});

test('SEC-2 ERR-3 maxPerResource: beyond it, Events status=503 for that resource only', async () => {
  await withServer({ limits: { maxPerResource: 1 } }, async (srv) => {
    await srv.put('/a', { v: 0 });
    await srv.put('/b', { v: 0 });
    const live = await rawSubscribe(srv, '/a');
    const r = await refused(srv, '/a');
    assert.equal(r.get('events'), 'protocol="prep", status=503');
    assert.equal(r.get('retry-after'), '5');
    const elsewhere = await rawSubscribe(srv, '/b');
    assert.equal(elsewhere.response.get('events')?.includes('status=200'), true);
    await assertStillServing(srv, live, 1);
  });
});

test('SEC-2 a subscriber that stops reading is closed cleanly (both close delimiters) while a reading one gets everything', async () => {
  // Long enough for the drained subscriber to read its queue before its grace ends.
  const grace = 1500;
  await withServer({ maxQueueBytes: 64 * 1024, slowGraceMs: grace }, async (srv) => {
    const stats = srv.app.engine.hub.stats;
    await srv.put('/doc', { big: '' });
    const ask = {
      'Accept-Events': '"prep";accept=("message/rfc822";delta="application/merge-patch+json")',
    };
    const reader = await srv.subscribe('/doc', { headers: ask });
    const drained = await rawSubscribe(srv, '/doc', ask);
    const stuck = await rawSubscribe(srv, '/doc', ask);
    drained.client.pause();
    stuck.client.pause();

    // Big notifications (each PATCH is its own delta) until both paused ones are closed.
    // The kernel holds some 4 MiB for a paused loopback reader: write well beyond that.
    const filler = 'x'.repeat(900 * 1024);
    let writes = 0;
    const reading = (async () => {
      const got: string[] = [];
      while (got.length < 200) {
        const n = await reader.notification();
        got.push(n.eventId);
        if (n.method === 'DELETE') break;
      }
      return got;
    })();
    reading.catch(() => undefined); // awaited below; not unhandled if the test fails first
    while (stats.slowClosed < 2) {
      assert.ok(writes < 40, 'the paused subscribers were never closed');
      const r = await srv.request('/doc', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ big: `${writes}${filler}` }),
      });
      assert.equal(r.status, 204);
      writes++;
    }
    // Both were closed before now: their grace periods end before `end + grace`.
    const end = Date.now();
    // One of them reads again at once: it gets what was queued, then both close delimiters.
    drained.client.resume();
    const done = await drained.client.response(0);
    const body = prepOf(done);
    assert.ok(body.closed, done.body.subarray(-300).toString('latin1'));
    assert.ok(body.notifications.length <= writes);
    const ids = (await srv.store.events({ path: '/doc' })).map((e) =>
      srv.app.history.eventId(e.seq),
    );
    assert.deepEqual(
      body.notifications.map((n) => n.eventId),
      ids.slice(1, 1 + body.notifications.length),
    );
    assertDelimitersEndChunks(done, [body.mixed, body.digest!]);

    // The reading subscriber got every notification, in order, none twice.
    assert.equal((await srv.request('/doc', { method: 'DELETE' })).status, 204);
    const all = await reading;
    assert.deepEqual(all, [...ids.slice(1), await srv.app.history.latestEventId('/doc', false)]);
    assert.equal(all.length, writes + 1);

    // After the grace period the one that never read is cut off; the drained connection,
    // whose response had ended, is not: it serves the next request.
    await sleep(Math.max(0, end + grace + 200 - Date.now()));
    drained.client.send({ method: 'GET', path: '/' });
    assert.equal((await drained.client.response(1)).status, 200);
    stuck.client.resume();
    await stuck.client.closed();
    assert.equal(stuck.response.complete, false);
  });
});

test('fan-out: 50 subscribers × 100 writes, every subscriber gets every event exactly once, in order', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { n: 0, pad: 'p'.repeat(200) });
    const fetched: Subscriber[] = [];
    const raws: Array<{ client: RawClient; response: RawResponse }> = [];
    const ask = '"prep";accept=("message/rfc822";delta="application/merge-patch+json")';
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        fetched.push(await srv.subscribe('/doc'));
        raws.push(await rawSubscribe(srv, '/doc', { 'Accept-Events': ask }));
      }),
    );
    assert.equal(srv.app.engine.hub.stats.subscriptions, 50);
    assert.equal(srv.app.engine.hub.stats.channels, 2);
    const initial = fetched[0]!.part1.body;
    for (let i = 1; i <= 100; i++) {
      const r = await srv.request('/doc', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ n: i }),
      });
      assert.equal(r.status, 204);
    }
    assert.equal((await srv.request('/doc', { method: 'DELETE' })).status, 204);
    const expected = (await srv.store.events({ path: '/doc' }))
      .slice(1)
      .map((e) => srv.app.history.eventId(e.seq));
    assert.equal(expected.length, 101);

    for (const sub of fetched) {
      const got = await sub.rest();
      assert.deepEqual(
        got.map((n) => n.eventId),
        expected,
      );
    }
    for (const { client, response } of raws) {
      await client.response(0);
      const body = prepOf(response);
      assert.ok(body.closed);
      assert.deepEqual(
        body.notifications.map((n) => n.eventId),
        expected,
      );
      assertDelimitersEndChunks(response, [body.mixed, body.digest!]);
    }
    // The deltas of one raw subscriber rebuild the last state.
    let state = initial;
    for (const n of prepOf(raws[0]!.response).notifications.slice(0, 100))
      state = applyDelta(n.delta!.contentType, state, n.delta!.body);
    assert.deepEqual(JSON.parse(text(state)), { n: 100, pad: 'p'.repeat(200) });
    assert.equal(srv.app.engine.hub.stats.deliveries, 50 * 101);
    assert.equal(srv.app.engine.hub.stats.subscriptions, 0);
  });
});
