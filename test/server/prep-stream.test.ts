/**
 * The notifications response on the wire (RSP-1..8, N822-4/5): exact bytes, chunk
 * boundaries, the end of a stream (DELETE, expiry), keep-alive and clients that go away.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { formatHttpDate } from '../../packages/client/src/core/http-date.js';
import { PrepEngine, type EventHistory } from '../../src/server/engine/engine.js';
import { type HubEvent } from '../../src/server/engine/hub.js';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { assertDelimitersEndChunks, prepOf } from '../helpers/prep-body.js';
import {
  RawClient,
  rawSubscribe,
  waitForNotifications,
  type RawResponse,
} from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';
import { eventually, within } from '../helpers/wait.js';

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The raw bytes a list of chunk payloads makes with HTTP/1.1 chunked encoding. */
function framed(chunks: readonly string[]): string {
  return (
    chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n'
  );
}

async function storedEvents(srv: TestServer, path: string) {
  const events = await srv.store.events({ path });
  return events.map((e) => ({ ...e, id: srv.app.history.eventId(e.seq) }));
}

test('RSP-1 RSP-2 RSP-3 RSP-4 RSP-6 RSP-7 N822-4 N822-5 a whole stream, byte for byte and chunk by chunk', async () => {
  await withServer({}, async (srv) => {
    const created = await srv.put('/doc', { a: 1 });
    assert.equal(created.status, 201);
    const etag0 = created.headers.get('etag')!;
    const modified0 = created.headers.get('last-modified')!;

    const { client, response } = await rawSubscribe(srv, '/doc');
    const updated = await srv.put('/doc', { a: 2 });
    assert.equal(updated.status, 204);
    await waitForNotifications(client, 1);
    const deleted = await srv.request('/doc', { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    await client.response(0);

    // The head: the status line, then every field but the CORS ones (tested elsewhere) exactly.
    const mixed = /boundary="([^"]+)"/.exec(response.get('content-type')!)![1]!;
    const date = response.get('date')!;
    assert.match(date, IMF_FIXDATE); // RSP-1 MUST Date
    const lines = response.head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 200 OK'); // ERR-4: the base status
    assert.deepEqual(
      lines.slice(1).filter((l) => !l.startsWith('Access-Control-')),
      [
        `Content-Type: multipart/mixed; boundary="${mixed}"`, // RSP-1
        'Events: protocol="prep", status=200, expires=3600', // RSP-1: integer seconds
        'Vary: Accept-Events', // RSP-2
        'Accept-Events: "prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))', // RSP-3, HDR-2
        'Cache-Control: no-store',
        'X-Accel-Buffering: no', // nginx: do not buffer
        'Incremental: ?1', // RFC 10036: forward incrementally
        `Last-Modified: ${modified0}`, // RSP-2
        'X-Content-Type-Options: nosniff', // stored content cannot act as this origin
        'Content-Security-Policy: sandbox',
        `Date: ${date}`,
        'Connection: keep-alive',
        'Keep-Alive: timeout=5',
        'Transfer-Encoding: chunked',
        '',
        '',
      ],
    );

    const body = prepOf(response);
    const digest = body.digest!;
    const [put, del] = await storedEvents(srv, '/doc').then((e) => e.slice(1));
    assert.ok(put && del);
    assert.equal(put.etag, updated.headers.get('etag'));
    const chunks = [
      `--${mixed}`,
      // RSP-4 part 1: the representation headers and body of the base response.
      `\r\nContent-Type: application/json\r\nETag: ${etag0}\r\nLast-Modified: ${modified0}\r\n\r\n{"a":1}\r\n--${mixed}`,
      // RSP-4 part 2: a multipart/digest.
      `\r\nContent-Type: multipart/digest; boundary="${digest}"\r\n\r\n--${digest}`,
      // N822-4 / N822-5: an empty part header block (message/rfc822), then the message.
      `\r\n\r\nMethod: PUT\r\nDate: ${formatHttpDate(put.time)}\r\nEvent-ID: ${put.id}\r\nETag: ${put.etag}\r\n\r\n\r\n--${digest}`,
      `\r\n\r\nMethod: DELETE\r\nDate: ${formatHttpDate(del.time)}\r\nEvent-ID: ${del.id}\r\n\r\n\r\n--${digest}`,
      // RSP-7: both close delimiters, right after the DELETE notification.
      `--\r\n--${mixed}`,
      `--\r\n`,
    ];
    assert.deepEqual(
      response.chunks.map((c) => c.toString('latin1')),
      chunks,
    );
    assert.equal(response.raw.toString('latin1'), response.head + framed(chunks));
    assertDelimitersEndChunks(response, [mixed, digest]);
    // The notification's ETag is the one a GET now... was: the PUT's (N822-5); Date is when
    // the event completed, as the PUT's Last-Modified says.
    assert.equal(formatHttpDate(put.time), updated.headers.get('last-modified'));
  });
});

test('RSP-1 RSP-4 a 204 base goes out as 200, with the base headers in part 1', async () => {
  // Our resource server never answers GET with 204: use the engine on a bare node:http server.
  const engine = new PrepEngine();
  const history: EventHistory = {
    lastSeq: () => Promise.resolve(0),
    latestEventId: () => Promise.resolve(undefined),
    seqOf: () => undefined,
    eventsAfter: () => Promise.resolve([]),
  };
  const server = http.createServer((req, res) => void answer(req, res));
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = { path: '/x', client: 'c' };
    const n = await engine.negotiate(req.method ?? 'GET', req.headers, 204, target);
    if (n.kind !== 'stream') {
      res.statusCode = 204;
      res.end();
      return;
    }
    const base = { status: 204, headers: [['ETag', '"e1"']] as const };
    void engine.stream(req, res, base, n, { ...target, isContainer: false, afterSeq: 0, history });
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  try {
    client.send({ method: 'GET', path: '/x', headers: { 'Accept-Events': '"prep"' } });
    const response = await client.waitFor(() => {
      const r = client.responses[0];
      return r && r.status !== 0 && prepOf(r).digest !== undefined ? r : undefined;
    }, 'the stream');
    assert.equal(response.status, 200);
    assert.equal(response.get('events'), 'protocol="prep", status=200, expires=3600');
    assert.deepEqual(prepOf(response).part1, { headers: 'ETag: "e1"', body: Buffer.alloc(0) });
    engine.hub.closeAll();
    await client.response(0);
    assert.ok(prepOf(response).closed);
  } finally {
    client.close();
    await new Promise((r) => server.close(r));
  }
});

test('RSP-6 each notification, keep-alive and close is its own chunk, also when coalesced', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/n', { v: 0 });
    const { client, response } = await rawSubscribe(srv, '/n');
    // Several writes at once: parts of one round leave in one socket write, still one chunk each.
    await Promise.all(Array.from({ length: 5 }, (_, i) => srv.put('/n', { v: i + 1 })));
    await waitForNotifications(client, 5);
    await srv.request('/n', { method: 'DELETE' });
    await client.response(0);
    const body = prepOf(response);
    assert.equal(body.notifications.length, 6);
    assert.ok(body.closed);
    assertDelimitersEndChunks(response, [body.mixed, body.digest!]);
    // 3 opening chunks, one per notification, 2 closing ones.
    assert.equal(response.chunks.length, 3 + 6 + 2);
  });
});

test('RSP-4 RSP-6 RSP-7 a pipelined notifications request (queued behind another response) streams the same way', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/p', { v: 0 });
    // A response the client does not read yet, larger than the kernel buffers: the stream
    // behind it has no socket of its own while it starts (the engine writes through `res`).
    await srv.store.write({
      path: '/big',
      apply: () => ({
        op: 'put',
        path: '/big',
        contentType: 'application/octet-stream',
        body: Buffer.alloc(8 * 1024 * 1024, 0x62),
        event: { method: 'PUT', status: 201 },
      }),
    });
    const client = await srv.connect();
    client.pause();
    client.send(
      { method: 'GET', path: '/big' },
      { method: 'GET', path: '/p', headers: { 'Accept-Events': '"prep"' } },
    );
    await eventually(() => srv.app.engine.hub.stats.subscriptions === 1, 'the subscription');
    await srv.put('/p', { v: 1 });
    client.resume();
    assert.equal((await client.response(0)).status, 200);
    const response = await client.waitFor(() => {
      const r = client.responses[1];
      return r && r.status !== 0 && prepOf(r).digest !== undefined ? r : undefined;
    }, 'the pipelined stream');
    await waitForNotifications(client, 1, 1);
    await srv.request('/p', { method: 'DELETE' });
    await client.response(1);
    const body = prepOf(response);
    assert.deepEqual(
      body.notifications.map((n) => n.method),
      ['PUT', 'DELETE'],
    );
    assert.ok(body.closed);
    assertDelimitersEndChunks(response, [body.mixed, body.digest!]);
  });
});

test('RSP-7 DELETE of the resource ends its stream right after its notification; a member DELETE does not end the container stream', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/c/', '', { type: 'application/json' });
    await srv.put('/c/x', { x: 1 });
    const member = await rawSubscribe(srv, '/c/x');
    const container = await rawSubscribe(srv, '/c/');
    assert.equal((await srv.request('/c/x', { method: 'DELETE' })).status, 204);

    await member.client.response(0);
    const m = prepOf(member.response);
    assert.ok(m.closed, 'both close delimiters');
    assert.deepEqual(
      m.notifications.map((n) => n.method),
      ['DELETE'],
    );

    // The container is told (with the member's Content-Location, N822-6) and stays open.
    const c1 = await waitForNotifications(container.client, 1);
    assert.equal(c1.notifications[0]!.method, 'DELETE');
    assert.equal(c1.notifications[0]!.contentLocation, '/c/x');
    assert.equal(
      c1.notifications[0]!.etag,
      (await srv.request('/c/', { method: 'HEAD' })).headers.get('etag'),
    );
    await srv.put('/c/y', { y: 1 });
    const c2 = await waitForNotifications(container.client, 2);
    assert.equal(c2.notifications[1]!.contentLocation, '/c/y');
    assert.equal(c2.closed, false);
    assert.equal(container.response.complete, false);
    // The connection of the closed stream is reusable: the response ended properly.
    member.client.send({ method: 'GET', path: '/c/y' });
    assert.equal((await member.client.response(1)).status, 200);
  });
});

test('RSP-7 a DELETE and a re-creation in the same round: the stream ends after the DELETE', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/r', { v: 1 });
    const { client, response } = await rawSubscribe(srv, '/r');
    const seq = await srv.store.lastSeq();
    const base = { path: '/r', parent: '/', parentEtag: null, time: Date.now() };
    const events: HubEvent[] = [
      { ...base, seq: seq + 1, id: `${seq + 1}.t`, method: 'DELETE', etag: null },
      { ...base, seq: seq + 2, id: `${seq + 2}.t`, method: 'PUT', etag: '"again"' },
    ];
    srv.app.engine.hub.publish(events);
    await client.response(0);
    const body = prepOf(response);
    assert.ok(body.closed);
    assert.deepEqual(
      body.notifications.map((n) => n.method),
      ['DELETE'],
    );
  });
});

test('RSP-7 a stream ends with both close delimiters when expires elapses', async () => {
  let now = 1_000_000;
  await withServer({ expires: 1, keepAliveMs: 600, now: () => now }, async (srv) => {
    await srv.put('/e', { v: 0 });
    const first = await rawSubscribe(srv, '/e');
    assert.equal(first.response.get('events'), 'protocol="prep", status=200, expires=1');
    now += 500;
    const second = await rawSubscribe(srv, '/e');
    now += 500; // the first is due, the second is not
    await first.client.response(0);
    assert.ok(prepOf(first.response).closed);
    assert.equal(srv.app.engine.hub.stats.expired, 1);
    // The second is still live: it gets the next notification.
    await srv.put('/e', { v: 1 });
    const got = await waitForNotifications(second.client, 1);
    assert.equal(got.closed, false);
    now += 500;
    await second.client.response(0);
    const body = prepOf(second.response);
    assert.ok(body.closed);
    assert.equal(body.notifications.length, 1);
    assert.equal(srv.app.engine.hub.stats.expired, 2);
    assert.equal(srv.app.engine.hub.stats.subscriptions, 0);
  });
});

test('RSP-7 a server shutdown ends every stream with both close delimiters', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/s', { v: 0 });
    const { client, response } = await rawSubscribe(srv, '/s');
    await srv.app.close();
    await client.response(0);
    assert.ok(prepOf(response).closed);
  });
});

test('keep-alive: an idle stream gets empty digest parts; real traffic resets the timer', async () => {
  let now = 5_000_000;
  await withServer({ keepAliveMs: 300, now: () => now }, async (srv) => {
    await srv.put('/a', { v: 0 });
    await srv.put('/b', { v: 0 });
    const a = await rawSubscribe(srv, '/a');
    const b = await rawSubscribe(srv, '/b');
    const keepAlives = (r: RawResponse) => prepOf(r).parts.filter((p) => !p.notification).length;
    const kinds = (r: RawResponse) => prepOf(r).parts.map((p) => p.notification?.method ?? 'ka');

    now += 300; // both idle for keepAliveMs
    await a.client.waitFor(() => keepAlives(a.response) === 1, 'a keep-alive on /a');
    await b.client.waitFor(() => keepAlives(b.response) === 1, 'a keep-alive on /b');
    const part = prepOf(a.response).parts[0]!;
    assert.equal(part.headers, '');
    assert.equal(part.message.length, 0);

    now += 200;
    await srv.put('/a', { v: 1 }); // traffic on /a
    await waitForNotifications(a.client, 1);
    now += 200; // /a: 200 ms since traffic; /b: 400 ms since its keep-alive
    await b.client.waitFor(() => keepAlives(b.response) === 2, 'a second keep-alive on /b');
    // That tick saw /a too and sent it nothing: the next bytes on /a are the next notification.
    await srv.put('/a', { v: 2 });
    await waitForNotifications(a.client, 2);
    assert.deepEqual(kinds(a.response), ['ka', 'PUT', 'PUT']);
    now += 300;
    await a.client.waitFor(() => keepAlives(a.response) === 2, 'a keep-alive on idle /a');
    assert.deepEqual(kinds(a.response), ['ka', 'PUT', 'PUT', 'ka']);
    assertDelimitersEndChunks(a.response, [prepOf(a.response).mixed, prepOf(a.response).digest!]);
  });
});

test('RSP-8 a client that goes away is forgotten: subscriptions and channels drop to 0', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/g', { v: 0 });
    const stats = srv.app.engine.hub.stats;
    const raw = await rawSubscribe(srv, '/g');
    const fetched = await srv.subscribe('/g', {
      headers: { 'Accept-Events': '"prep";accept=("message/rfc822";delta="text/plain")' },
    });
    assert.equal(stats.subscriptions, 2);
    assert.equal(stats.channels, 2);
    raw.client.close();
    await eventually(() => stats.subscriptions === 1, 'the raw client to be forgotten');
    fetched.close();
    await eventually(
      () => stats.subscriptions === 0 && stats.channels === 0,
      'the fetch client to be forgotten',
    );
    // Nothing is written for them any more; the server goes on.
    assert.equal((await srv.put('/g', { v: 1 })).status, 204);
  });
});

test('RSP-8 a client that goes away while its base response is read is not subscribed', async () => {
  // A store whose lastEvent (read for Last-Event-ID) waits for the test's go-ahead.
  const memory = new MemoryStore();
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const store = new Proxy(memory, {
    get(target, prop) {
      if (prop === 'lastEvent')
        return async (...args: Parameters<Store['lastEvent']>) => {
          entered();
          await gate;
          return target.lastEvent(...args);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  }) as Store;
  await memory.open();
  try {
    await withServer({ store }, async (srv) => {
      await srv.put('/d', { v: 0 });
      const serverSide = new Promise<Socket>((r) => srv.running.server.once('connection', r));
      const client = await srv.connect();
      client.send({
        method: 'GET',
        path: '/d',
        headers: { 'Accept-Events': '"prep"', 'Last-Event-ID': '1.unknown' },
      });
      await within(inside, 'the server to read the latest Event-ID');
      const socket = await serverSide;
      const gone = new Promise((r) => socket.once('close', r));
      client.close();
      await within(gone, 'the server to see the client go');
      release();
      // A second subscriber, handled after the first request's continuation ran.
      const other = await rawSubscribe(srv, '/d');
      assert.equal(srv.app.engine.hub.stats.subscriptions, 1);
      other.client.close();
      await eventually(() => srv.app.engine.hub.stats.subscriptions === 0, 'no subscription');
    });
  } finally {
    await memory.close();
  }
});
