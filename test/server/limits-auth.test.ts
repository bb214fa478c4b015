/**
 * Per-client limits beyond the per-address ones (SEC-2): open streams per token, identical
 * streams, and the write rate, each answered clearly (`Events` 429 or a 429 problem) while the
 * server goes on serving everyone else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { rawSubscribe, waitForNotifications } from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

const ALICE = { Authorization: 'Bearer alice-token' };
const BOB = { Authorization: 'Bearer bob-token' };
const CAROL = { Authorization: 'Bearer carol-token' };
const ASK = { 'Accept-Events': '"prep"' };
const everything = [{ prefix: '/', read: true, write: true }];

function policy(): TokenPolicy {
  return new TokenPolicy({
    tokens: [
      {
        name: 'alice',
        token: 'alice-token',
        rules: everything,
        maxSubscriptions: 2,
        writesPerMinute: 2,
      },
      { name: 'bob', token: 'bob-token', rules: everything },
      { name: 'carol', token: 'carol-token', rules: everything },
    ],
  });
}

/** A GET with Accept-Events that must be refused: the base, with `Events` and `Retry-After`. */
async function ask(
  srv: TestServer,
  path: string,
  headers: Record<string, string>,
): Promise<{ events: string | null; retryAfter: string | null }> {
  const controller = new AbortController();
  const res = await fetch(srv.url + path, {
    headers: { ...ASK, ...headers },
    signal: controller.signal,
  });
  const events = res.headers.get('events');
  // A stream that was opened would never end: fail at once instead.
  if (events?.includes('status=200')) controller.abort();
  assert.doesNotMatch(events ?? '', /status=200/, 'a stream was opened');
  assert.equal(res.status, 200);
  assert.ok((await res.text()).length > 0, 'the base body is served');
  return { events, retryAfter: res.headers.get('retry-after') };
}

/** Whole seconds, at most `max` (what an empty bucket needs; less once time has passed). */
function assertRetryAfter(value: string | null, max: number): void {
  assert.match(value ?? '', /^[1-9][0-9]*$/);
  assert.ok(Number(value) <= max && Number(value) > max / 2, `Retry-After: ${value}`);
}

test('SEC-2 ERR-3 per token: beyond its maxSubscriptions, Events status=429 with Retry-After; other tokens are not affected', async () => {
  await withServer({ access: policy(), limits: { maxPerPrincipal: 3 } }, async (srv) => {
    for (const p of ['/a', '/b', '/c', '/d'])
      assert.equal((await srv.put(p, { p }, { headers: BOB })).status, 201);
    // alice's own bound (2) overrides the server's (3).
    await rawSubscribe(srv, '/a', { ...ASK, ...ALICE });
    await rawSubscribe(srv, '/b', { ...ASK, ...ALICE });
    const refused = await ask(srv, '/c', ALICE);
    assert.equal(refused.events, 'protocol="prep", status=429');
    assert.equal(refused.retryAfter, '5');
    // bob, from the same address, has the server's bound of 3.
    for (const p of ['/a', '/b', '/c']) await rawSubscribe(srv, p, { ...ASK, ...BOB });
    const bob = await ask(srv, '/d', BOB);
    assert.equal(bob.events, 'protocol="prep", status=429');
    // carol is untouched by both.
    const carol = await rawSubscribe(srv, '/d', { ...ASK, ...CAROL });
    assert.match(carol.response.get('events') ?? '', /status=200/);
  });
});

test('SEC-2 ERR-3 identical subscriptions (same token, address, resource, format) beyond maxIdentical get Events status=429; a different resource or format still works', async () => {
  await withServer({ access: policy(), limits: { maxIdentical: 2 } }, async (srv) => {
    for (const p of ['/a', '/b'])
      assert.equal((await srv.put(p, { p }, { headers: BOB })).status, 201);
    const first = await rawSubscribe(srv, '/a', { ...ASK, ...BOB });
    await rawSubscribe(srv, '/a', { ...ASK, ...BOB });
    const third = await ask(srv, '/a', BOB);
    assert.equal(third.events, 'protocol="prep", status=429');
    assert.equal(third.retryAfter, '5');
    const elsewhere = await rawSubscribe(srv, '/b', { ...ASK, ...BOB });
    assert.match(elsewhere.response.get('events') ?? '', /status=200/);
    const delta = '"prep";accept=("message/rfc822";delta="application/merge-patch+json")';
    const otherFormat = await rawSubscribe(srv, '/a', { 'Accept-Events': delta, ...BOB });
    assert.match(otherFormat.response.get('events') ?? '', /status=200/);
    // Another token on the same resource is another client.
    const carol = await rawSubscribe(srv, '/a', { ...ASK, ...CAROL });
    assert.match(carol.response.get('events') ?? '', /status=200/);
    // Once one of the identical streams ends, its slot is free again.
    first.client.close();
    await eventually(() => srv.app.engine.hub.stats.subscriptions === 4, 'the slot to free');
    const again = await rawSubscribe(srv, '/a', { ...ASK, ...BOB });
    assert.match(again.response.get('events') ?? '', /status=200/);
  });
});

test("SEC-2 write rate: beyond a token's writesPerMinute, 429 with Retry-After; nothing is written and nothing announced", async () => {
  await withServer({ access: policy() }, async (srv) => {
    assert.equal((await srv.put('/a', { v: 1 }, { headers: ALICE })).status, 201);
    const watcher = await rawSubscribe(srv, '/a', { ...ASK, ...BOB });
    assert.equal((await srv.put('/a', { v: 2 }, { headers: ALICE })).status, 204);
    // Two a minute: the bucket is empty; the next write comes in 30 s.
    const refused = await srv.put('/a', { v: 3 }, { headers: ALICE });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal((JSON.parse(refused.text) as { code: string }).code, 'TOO_MANY_WRITES');
    assertRetryAfter(refused.headers.get('retry-after'), 30);
    assert.deepEqual(JSON.parse((await srv.request('/a', { headers: BOB })).text), { v: 2 });
    // Another client writes on: its notification follows v2's, with nothing between.
    assert.equal((await srv.put('/a', { v: 4 }, { headers: CAROL })).status, 204);
    const got = await waitForNotifications(watcher.client, 2);
    const ids = (await srv.store.events({ path: '/a' })).map((e) => srv.app.history.eventId(e.seq));
    assert.equal(ids.length, 3, 'create, v2, v4: the refused write left no event');
    assert.deepEqual(
      got.notifications.map((n) => n.eventId),
      ids.slice(1),
    );
  });
});

test('SEC-2 write rate without a policy: a bucket per address; the excess gets 429 and Retry-After, and the resource is unchanged', async () => {
  await withServer({ writeRate: { perSecond: 0.001, burst: 2 } }, async (srv) => {
    assert.equal((await srv.put('/a', { v: 1 })).status, 201);
    assert.equal((await srv.put('/a', { v: 2 })).status, 204);
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const r = await srv.request(method === 'POST' ? '/' : '/a', {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'DELETE' ? null : '{"v":3}',
      });
      assert.equal(r.status, 429, method);
      assertRetryAfter(r.headers.get('retry-after'), 1000);
    }
    assert.deepEqual(JSON.parse((await srv.request('/a')).text), { v: 2 });
    // Reads are not writes.
    assert.equal((await srv.request('/')).status, 200);
  });
});
