/**
 * Bounds that keep the server up (SEC-2, STYLE.md 9), over a real node:http listener:
 * slow clients are cut off, long-lived streams are not, and the event log stays bounded.
 * Timeouts are small here; assertions only use generous upper bounds.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defer } from '../helpers/cleanup.js';
import { parseRaw, put, subscribe, type RawAnswer as RawResponse } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

/** A connection that sends `head` and then, every `dribbleMs`, one more byte of a header. */
function slowClient(
  t: TestContext,
  port: number,
  head: string,
  dribbleMs?: number,
): { closed: Promise<RawResponse> } {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  defer(t, () => {
    clearInterval(timer);
    socket.destroy();
  });
  const closed = new Promise<RawResponse>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(parseRaw(Buffer.concat(chunks)));
    });
  });
  socket.write(head);
  if (dribbleMs !== undefined)
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, dribbleMs);
  return { closed };
}

/** `promise`, or a failure after `ms` (a generous upper bound, never a measurement). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  const timeout = sleep(ms, undefined, { signal: controller.signal }).then(() => {
    throw new Error(`${what}: not within ${ms} ms`);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    controller.abort();
    timeout.catch(() => undefined);
  }
}

/** A cut-off connection got either nothing or a 408 (node's answer to a slow request). */
function assertCutOff(res: RawResponse): void {
  assert.ok(res.status === 0 || res.status === 408, `cut off, got ${res.head}`);
  if (res.status === 408) assert.match(res.head, /application\/problem\+json/);
}

test('a client that stalls halfway through its request head is cut off after headersTimeoutMs', async (t) => {
  const { url, port } = await startTestServer(t, {
    headersTimeoutMs: 500,
    requestTimeoutMs: 5000,
  });
  const stalled = slowClient(t, port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  // A slow-loris keeps trickling bytes to look alive; headersTimeout counts from the start.
  const trickling = slowClient(t, port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ', 50);
  // Meanwhile everyone else is served.
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  assertCutOff(await within(stalled.closed, 10_000, 'the stalled client'));
  assertCutOff(await within(trickling.closed, 10_000, 'the trickling client'));
  const after = await fetch(`${url}/`);
  assert.equal(after.status, 200);
  await after.arrayBuffer();
});

test('a client that stalls in the middle of its body is cut off after requestTimeoutMs', async (t) => {
  const { url, port, store } = await startTestServer(t, {
    headersTimeoutMs: 500,
    requestTimeoutMs: 1000,
  });
  const seq = await store.lastSeq();
  const stalled = slowClient(
    t,
    port,
    'PUT /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhalf',
  );
  assertCutOff(await within(stalled.closed, 10_000, 'the stalled upload'));
  assert.equal((await fetch(`${url}/slow`)).status, 404, 'nothing was written');
  assert.equal(await store.lastSeq(), seq);
});

test('a notifications stream outlives requestTimeoutMs and headersTimeoutMs', async (t) => {
  const { url } = await startTestServer(t, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
  await put(`${url}/live`, '{"n":0}');
  const sub = await subscribe(t, `${url}/live`);
  // Several times both timeouts (and the connection sweep): the stream must still be open.
  await sleep(1200);
  const written = await put(`${url}/live`, '{"n":1}');
  assert.equal(written.status, 204);
  const n = await within(sub.next(), 5000, 'the notification');
  assert.equal(n?.method, 'PUT');
  assert.equal(n?.etag, written.headers.get('etag'));
});

test('RSP-8 a client that goes away frees its subscription on the server', async (t) => {
  const { url, app } = await startTestServer(t);
  await put(`${url}/gone`, '{}');
  const subs = await Promise.all([1, 2, 3].map(() => subscribe(t, `${url}/gone`)));
  await eventually(() => app.engine.hub.stats.subscriptions === 3, 'three subscriptions');
  await subs[0]!.close();
  await subs[1]!.close();
  await eventually(() => app.engine.hub.stats.subscriptions === 1, 'two to be freed');
  assert.equal(app.engine.hub.subscriberCount('/gone'), 1);
  // The one left still gets notifications.
  const written = await put(`${url}/gone`, '{"still":"here"}');
  assert.equal(
    (await within(subs[2]!.next(), 5000, 'the notification'))?.etag,
    written.headers.get('etag'),
  );
});

test('N822-3 a writer that does not take its response holds up notifications only writerStallMs', async (t) => {
  const { url, port, store, app } = await startTestServer(t, { writerStallMs: 300 });
  // A response larger than the kernel buffers, so that a client that does not read is stuck.
  const big = Buffer.alloc(12 * 1024 * 1024, 0x61);
  await store.write({
    path: '/big',
    apply: () => ({
      op: 'put',
      path: '/big',
      contentType: 'application/octet-stream',
      body: big,
      event: { method: 'PUT', status: 201 },
    }),
  });
  await put(`${url}/doc`, '{"v":0}');
  const sub = await subscribe(t, `${url}/doc`);
  const seq = await store.lastSeq();
  const stuck = net.connect(port, '127.0.0.1');
  defer(t, () => stuck.destroy());
  stuck.on('error', () => undefined);
  stuck.pause();
  stuck.write(
    'GET /big HTTP/1.1\r\nHost: x\r\n\r\n' +
      'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"v":1}',
  );
  await eventually(async () => (await store.lastSeq()) > seq, 'the stuck PUT to commit');
  // Someone else writes the same resource: its notification waits for the stuck one, in order.
  const later = await put(`${url}/doc`, '{"v":2}');
  assert.equal(later.status, 204);
  const first = await within(sub.next(), 10_000, 'the stuck write to be announced');
  const second = await within(sub.next(), 10_000, 'the later write to be announced');
  assert.equal(first?.method, 'PUT');
  assert.equal(second?.etag, later.headers.get('etag'));
  const seqOf = (id: string | undefined) => app.history.seqOf(id ?? '') ?? NaN;
  assert.ok(seqOf(first?.eventId) < seqOf(second?.eventId), 'Event-IDs in commit order');
});

test('the event log keeps at most history.maxEvents events', async (t) => {
  const { url, store } = await startTestServer(t, {
    history: { maxEvents: 5, pruneIntervalMs: 50 },
  });
  for (let i = 0; i < 20; i++)
    assert.ok([201, 204].includes((await put(`${url}/h/${i % 7}`, `{"i":${i}}`)).status));
  const last = await store.lastSeq();
  assert.ok(last >= 20);
  await eventually(async () => (await store.events()).length <= 5, 'the log to be pruned');
  const held = await store.events();
  assert.deepEqual(
    held.map((e) => e.seq),
    [last - 4, last - 3, last - 2, last - 1, last],
    'the newest five are kept',
  );
  assert.equal(await store.oldestSeq(), last - 4);
  assert.equal(await store.lastSeq(), last, 'seq never goes back');
  // Pruning the log touches no resource.
  const listing = (await (await fetch(`${url}/h/`)).json()) as { members: string[] };
  assert.equal(listing.members.length, 7);
  assert.deepEqual(await (await fetch(`${url}/h/6`)).json(), { i: 13 });
  // New writes are logged after the pruned ones.
  await put(`${url}/h/0`, '{"i":99}');
  assert.equal(await store.lastSeq(), last + 1);
});

test('the event log drops events older than history.maxAgeMs', async (t) => {
  const { url, store } = await startTestServer(t, {
    history: { maxAgeMs: 100, pruneIntervalMs: 50 },
  });
  for (let i = 0; i < 5; i++) await put(`${url}/age/${i}`, '{}');
  const last = await store.lastSeq();
  await eventually(async () => (await store.events()).length === 0, 'old events to go');
  assert.equal(await store.oldestSeq(), last + 1);
  assert.equal((await fetch(`${url}/age/4`)).status, 200);
});
