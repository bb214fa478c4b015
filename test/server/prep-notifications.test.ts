/**
 * What triggers a notification and what it holds (N822-2..8), on the wire.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { formatHttpDate } from '../../packages/client/src/core/http-date.js';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import type { Notification } from '../../packages/client/src/core/notification.js';
import { bigDoc, text } from '../helpers/documents.js';
import { prepOf } from '../helpers/prep-body.js';
import {
  rawSubscribe,
  stuckWriter,
  waitForNotifications,
  type RawResponse,
} from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';

const STORES = ['memory', 'sqlite'] as const;

function deltaAsk(type: string): Record<string, string> {
  return { 'Accept-Events': `"prep";accept=("message/rfc822";delta="${type}")` };
}

/** The stored event an Event-ID names, with its Event-ID. */
async function eventOf(srv: TestServer, n: Notification) {
  const seq = srv.app.history.seqOf(n.eventId);
  assert.ok(seq !== undefined, `${n.eventId} is one of ours`);
  const e = await srv.store.eventBySeq(seq);
  assert.ok(e);
  return e;
}

/** N822-4: Method, Date (the event's completion) and Event-ID; N822-7: no body. */
async function assertNotification(
  srv: TestServer,
  n: Notification,
  expected: { method: string; etag?: string; contentLocation?: string },
): Promise<void> {
  const e = await eventOf(srv, n);
  assert.equal(n.method, expected.method);
  assert.equal(e.method, expected.method);
  assert.equal(formatHttpDate(n.date), formatHttpDate(e.time));
  assert.equal(n.eventId, srv.app.history.eventId(e.seq));
  assert.equal(n.etag, expected.etag);
  assert.equal(n.contentLocation, expected.contentLocation);
  assert.equal(n.delta, undefined);
}

for (const store of STORES) {
  test(`N822-2 N822-4 N822-5 N822-6 PUT (201, 204), PATCH, POST and DELETE each notify (${store})`, async () => {
    await withServer({ store }, async (srv) => {
      await srv.put('/c/', '');
      await srv.put('/c/a', { v: 0 });
      const res = await rawSubscribe(srv, '/c/a');
      const box = await rawSubscribe(srv, '/c/');
      const boxEtag = async () =>
        (await srv.request('/c/', { method: 'HEAD' })).headers.get('etag')!;

      const created = await srv.put('/c/b', { v: 1 });
      assert.equal(created.status, 201);
      const boxAfterCreate = await boxEtag();
      const replaced = await srv.put('/c/a', { v: 2 });
      assert.equal(replaced.status, 204);
      const patched = await srv.request('/c/a', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{"v":3}',
      });
      assert.equal(patched.status, 204);
      const posted = await srv.request('/c/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Slug: 'new' },
        body: '{"v":4}',
      });
      assert.equal(posted.status, 201);
      const member = posted.headers.get('location')!;
      assert.equal(member, '/c/new');
      const boxAfterPost = await boxEtag();
      const deleted = await srv.request('/c/a', { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      const boxAfterDelete = await boxEtag();

      // The resource's own stream: PUT 204, PATCH, DELETE, then the end (RSP-7).
      await res.client.response(0);
      const own = prepOf(res.response).notifications;
      assert.equal(own.length, 3);
      await assertNotification(srv, own[0]!, {
        method: 'PUT',
        etag: replaced.headers.get('etag')!,
      });
      await assertNotification(srv, own[1]!, {
        method: 'PATCH',
        etag: patched.headers.get('etag')!,
      });
      await assertNotification(srv, own[2]!, { method: 'DELETE' });

      // The container's: every member change, with the member's Content-Location (N822-6)
      // and the container's new ETag when its membership changed (N822-5).
      const seen = (await waitForNotifications(box.client, 5)).notifications;
      await assertNotification(srv, seen[0]!, {
        method: 'PUT',
        contentLocation: '/c/b',
        etag: boxAfterCreate,
      });
      await assertNotification(srv, seen[1]!, { method: 'PUT', contentLocation: '/c/a' });
      await assertNotification(srv, seen[2]!, { method: 'PATCH', contentLocation: '/c/a' });
      await assertNotification(srv, seen[3]!, {
        method: 'POST',
        contentLocation: member,
        etag: boxAfterPost,
      });
      await assertNotification(srv, seen[4]!, {
        method: 'DELETE',
        contentLocation: '/c/a',
        etag: boxAfterDelete,
      });
      // Event-IDs are unique and in commit order.
      const seqs = seen.map((n) => srv.app.history.seqOf(n.eventId)!);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.equal(new Set(seqs).size, seqs.length);
    });
  });
}

test('N822-2 failed writes notify nothing: 412, 400, 409, 415, 405, 404', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/c/', '');
    await srv.put('/c/doc', { v: 0, list: [1] });
    const res = await rawSubscribe(srv, '/c/doc');
    const box = await rawSubscribe(srv, '/c/');
    const json = { 'Content-Type': 'application/json' };
    const failures: Array<[number, string, RequestInit]> = [
      [412, '/c/doc', { method: 'PUT', headers: { ...json, 'If-Match': '"x"' }, body: '{}' }],
      [412, '/c/doc', { method: 'DELETE', headers: { 'If-Match': '"x"' } }],
      [412, '/c/', { method: 'POST', headers: { ...json, 'If-Match': '"x"' }, body: '{}' }],
      [400, '/c/doc', { method: 'PUT', headers: json, body: '{"v":' }],
      [400, '/c/', { method: 'POST', headers: json, body: 'nope' }],
      [
        409,
        '/c/doc',
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json-patch+json' },
          body: '[{"op":"test","path":"/v","value":99},{"op":"replace","path":"/v","value":1}]',
        },
      ],
      [415, '/c/doc', { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: 'x' }],
      [415, '/c/doc', { method: 'PUT', body: new Uint8Array([1]) }],
      [405, '/c/doc', { method: 'POST', headers: json, body: '{}' }],
      [404, '/c/zzz', { method: 'DELETE' }],
    ];
    for (const [status, path, init] of failures) {
      const r = await srv.request(path, init);
      assert.equal(r.status, status, `${init.method} ${path}: ${r.text}`);
    }
    // Then one that succeeds: it is the first notification either stream gets.
    const ok = await srv.put('/c/doc', { v: 1 });
    assert.equal(ok.status, 204);
    const mine = (await waitForNotifications(res.client, 1)).notifications;
    const theirs = (await waitForNotifications(box.client, 1)).notifications;
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.etag, ok.headers.get('etag'));
    assert.equal(theirs.length, 1);
    assert.equal(theirs[0]!.eventId, mine[0]!.eventId);
  });
});

test('N822-3 the writer has its whole response before any subscriber gets the notification', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/c/', '');
    await srv.put('/c/a', { v: 0 });
    const res = await rawSubscribe(srv, '/c/a');
    const box = await rawSubscribe(srv, '/c/');
    const writer = await srv.connect();
    const json = { 'Content-Type': 'application/json' };
    const writes = [
      { method: 'PUT', path: '/c/a', headers: json, body: '{"v":1}' },
      {
        method: 'PATCH',
        path: '/c/a',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{"v":2}',
      },
      { method: 'POST', path: '/c/', headers: json, body: '{"v":3}' },
      { method: 'DELETE', path: '/c/a' },
    ];
    /** The clock tick at which `stream` got the chunk holding `eventId`. */
    const tickOf = (stream: RawResponse, eventId: string): number => {
      const i = stream.chunks.findIndex((c) => c.includes(`Event-ID: ${eventId}\r\n`));
      assert.ok(i >= 0);
      return stream.chunkTicks[i]!;
    };
    let ownCount = 0;
    for (let i = 0; i < writes.length; i++) {
      writer.send(writes[i]!);
      const answer = await writer.response(i);
      assert.ok(answer.status < 300);
      const got = (await waitForNotifications(box.client, i + 1)).notifications[i]!;
      assert.equal(got.method, writes[i]!.method);
      assert.ok(
        answer.completedAt < tickOf(box.response, got.eventId),
        `${got.method} (container)`,
      );
      if (writes[i]!.path === '/c/a') {
        const n = ++ownCount;
        const own = (await waitForNotifications(res.client, n)).notifications[n - 1]!;
        assert.equal(own.eventId, got.eventId);
        assert.ok(answer.completedAt < tickOf(res.response, own.eventId), `${own.method}`);
      }
    }
  });
});

test('N822-3 a committed write is announced only once its response has been sent (writer stuck behind a large response)', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 0 });
    await srv.put('/other', { v: 0 });
    // Server-side record: when the PUT's response is finished (handed to the OS), and when
    // bytes of a notification are written to the subscriber's socket.
    const log: string[] = [];
    srv.running.server.on('request', (req, res) => {
      if (req.method === 'PUT' && req.url === '/doc') res.once('finish', () => log.push('finish'));
    });
    const serverSide = new Promise<Socket>((r) => srv.running.server.once('connection', r));
    const sub = await rawSubscribe(srv, '/doc');
    const socket = await serverSide;
    const tapped = socket as unknown as { write: (chunk: Uint8Array) => boolean };
    const write = tapped.write.bind(socket);
    tapped.write = (chunk) => {
      if (Buffer.from(chunk).includes('Method: PUT')) log.push('notify');
      return write(chunk);
    };
    const marker = await rawSubscribe(srv, '/other');

    const { writer, bigLength } = await stuckWriter(srv);
    // A later write elsewhere goes through the hub and out.
    await srv.put('/other', { v: 1 });
    await waitForNotifications(marker.client, 1);
    // The stuck write has not been announced.
    assert.deepEqual(log, []);
    assert.equal(prepOf(sub.response).parts.length, 0);
    assert.equal(writer.responses[1]?.complete ?? false, false);

    writer.resume();
    const big = await writer.response(0);
    assert.equal(big.body.length, bigLength);
    const put = await writer.response(1);
    assert.equal(put.status, 204);
    const got = await waitForNotifications(sub.client, 1);
    assert.equal(got.notifications[0]!.etag, put.get('etag'));
    assert.deepEqual(log, ['finish', 'notify']);
  });
});

test('N822-2 a committed write whose writer went away before its response was sent is still announced', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 0 });
    const sub = await rawSubscribe(srv, '/doc');
    const serverSide = new Promise<Socket>((r) => srv.running.server.once('connection', r));
    const { writer } = await stuckWriter(srv);
    const gone = new Promise((r) => void serverSide.then((s) => s.once('close', r)));
    writer.close();
    await gone;
    // A later write, announced after the server saw the writer go.
    await srv.request('/doc', { method: 'DELETE' });
    // Nothing committed goes unannounced (DESIGN.md): the subscriber hears of the PUT too.
    await sub.client.response(0);
    assert.deepEqual(
      prepOf(sub.response).notifications.map((n) => n.method),
      ['PUT', 'DELETE'],
    );
  });
});

test('N822-3 Event-IDs reach a subscriber in commit order even when an earlier writer is held up', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 0 });
    const sub = await rawSubscribe(srv, '/doc');
    const { writer } = await stuckWriter(srv);
    // A later write by someone else completes first.
    assert.equal((await srv.put('/doc', { v: 2 })).status, 204);
    writer.resume();
    await writer.response(1);
    const got = (await waitForNotifications(sub.client, 2)).notifications;
    const seqs = got.map((n) => srv.app.history.seqOf(n.eventId)!);
    assert.ok(seqs[0]! < seqs[1]!, `Event-IDs in order: ${got.map((n) => n.eventId).join(', ')}`);
  });
});

test("de-duplication: a change already in a subscriber's base is not notified to it again", async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 0 });
    const before = await rawSubscribe(srv, '/doc');
    const { writer } = await stuckWriter(srv); // its PUT is committed, not yet announced
    // A subscriber whose base (part 1) already holds that PUT.
    const after = await rawSubscribe(srv, '/doc');
    assert.deepEqual(JSON.parse(prepOf(after.response).part1!.body.toString()), { v: 1 });
    writer.resume();
    await writer.response(1);
    await srv.request('/doc', { method: 'DELETE' });
    await before.client.response(0);
    await after.client.response(0);
    assert.deepEqual(
      prepOf(before.response).notifications.map((n) => n.method),
      ['PUT', 'DELETE'],
    );
    assert.deepEqual(
      prepOf(after.response).notifications.map((n) => n.method),
      ['DELETE'],
    );
  });
});

test('N822-7 without delta a notification has no body', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', bigDoc());
    const { client } = await rawSubscribe(srv, '/doc', {
      'Accept-Events': '"prep";accept="message/rfc822"',
    });
    await srv.put('/doc', bigDoc(40, { key3: 'changed' }));
    await srv.request('/doc', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: '{"key4":"changed"}',
    });
    const body = await waitForNotifications(client, 2);
    for (const part of body.parts) {
      assert.ok(part.message.toString('latin1').endsWith('\r\n\r\n'));
      assert.ok(!part.message.toString('latin1').includes('Content-Type'));
      assert.equal(part.notification!.delta, undefined);
    }
  });
});

interface DeltaCase {
  delta: string;
  type: string;
  initial: string;
  writes: Array<{ method: 'PUT' | 'PATCH'; type: string; body: string }>;
}

const json = (v: unknown) => JSON.stringify(v);
const lines = (n: number, change: Record<number, string> = {}) =>
  Array.from({ length: n }, (_, i) => change[i] ?? `line ${i} of a text that changes a little`)
    .join('\n')
    .concat('\n');

const CASES: DeltaCase[] = [
  {
    delta: 'application/json-patch+json',
    type: 'application/json',
    initial: json(bigDoc()),
    writes: [
      { method: 'PUT', type: 'application/json', body: json(bigDoc(40, { key1: 'one' })) },
      { method: 'PATCH', type: 'application/merge-patch+json', body: '{"key2":"two","key3":null}' },
      {
        method: 'PATCH',
        type: 'application/json-patch+json',
        body: '[{"op":"add","path":"/list","value":[1,2]}]',
      },
    ],
  },
  {
    delta: 'application/merge-patch+json',
    type: 'application/json',
    initial: json(bigDoc()),
    writes: [
      { method: 'PUT', type: 'application/json', body: json(bigDoc(39, { key1: 'one' })) },
      {
        method: 'PATCH',
        type: 'application/json-patch+json',
        body: '[{"op":"replace","path":"/key5","value":{"deep":true}}]',
      },
      { method: 'PATCH', type: 'application/merge-patch+json', body: '{"key6":"six"}' },
    ],
  },
  {
    delta: 'text/plain',
    type: 'text/plain; charset=utf-8',
    initial: lines(60),
    writes: [
      { method: 'PUT', type: 'text/plain; charset=utf-8', body: lines(60, { 7: 'seven' }) },
      {
        method: 'PUT',
        type: 'text/plain; charset=utf-8',
        body: lines(61, { 7: 'seven', 30: 'thirty ✓' }),
      },
    ],
  },
];

for (const c of CASES) {
  test(`N822-8 N822-1 delta="${c.delta}": each notification carries a delta with its Content-Type that turns the previous state into the new one`, async () => {
    // A time budget no loaded machine reaches: this test is about the delta, not the budget
    // (without one a notification goes out without its delta, N822-7).
    await withServer({ deltaLimits: { maxCostMs: 60_000 } }, async (srv) => {
      await srv.put('/doc', c.initial, { type: c.type });
      const sub = await srv.subscribe('/doc', { headers: deltaAsk(c.delta) });
      assert.equal(sub.response.headers.get('events')?.includes('vary="accept"'), true);
      let state = sub.part1.body;
      assert.equal(text(state), c.initial);
      for (const w of c.writes) {
        const r = await srv.request('/doc', {
          method: w.method,
          headers: { 'Content-Type': w.type },
          body: w.body,
        });
        assert.equal(r.status, 204, r.text);
        const raw = await sub.next();
        const n = raw!.notification!;
        assert.equal(n.method, w.method);
        assert.equal(n.etag, r.headers.get('etag'));
        assert.ok(n.delta, `${w.method} has a delta`);
        // N822-8: Content-Type inside the message, naming the delta type asked for.
        assert.ok(text(raw!.bytes).includes(`\r\nContent-Type: ${n.delta.contentType}\r\n\r\n`));
        assert.equal(parseMediaType(n.delta.contentType).essence, c.delta);
        const fresh = await srv.request('/doc');
        assert.ok(n.delta.body.length < fresh.body.length, 'smaller than the representation');
        state = applyDelta(c.delta, state, n.delta.body);
        if (c.type.startsWith('application/json'))
          assert.deepEqual(JSON.parse(text(state)), JSON.parse(fresh.text));
        else assert.equal(text(state), fresh.text);
      }
    });
  });
}

test('N822-8 a small document gets a delta of every type with every change: the difference, or a rebuild when that is smaller', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/n', '{"n":1}', { type: 'application/json' });
    const asks = ['application/json-patch+json', 'application/merge-patch+json', 'text/plain'];
    const subs = await Promise.all(asks.map((t) => srv.subscribe('/n', { headers: deltaAsk(t) })));
    assert.equal((await srv.put('/n', '{"n":2}', { type: 'application/json' })).status, 204);
    const patched = await srv.request('/n', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: '[{"op":"add","path":"/m","value":true}]',
    });
    assert.equal(patched.status, 204);
    assert.equal((await srv.put('/n', '["other"]', { type: 'application/json' })).status, 204);
    const states = ['{"n":2}', '{"n":2,"m":true}', '["other"]'];
    for (const [i, sub] of subs.entries()) {
      let state = sub.part1.body;
      for (const [k, n] of (await sub.notifications(3)).entries()) {
        assert.ok(n.delta, `${asks[i]}: ${n.method} carries a delta`);
        assert.equal(parseMediaType(n.delta.contentType).essence, asks[i]);
        state = applyDelta(n.delta.contentType, state, n.delta.body);
        assert.deepEqual(JSON.parse(text(state)), JSON.parse(states[k]!), `${asks[i]} ${k}`);
      }
    }
  });
});

test('N822-7 N822-8 no delta body when the state did not change, for DELETE, or for members; a whole new document is rebuilt', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/c/', '');
    const doc = json(bigDoc());
    await srv.put('/c/doc', doc);
    const asks = ['application/json-patch+json', 'application/merge-patch+json', 'text/plain'];
    const subs = await Promise.all(
      asks.map((t) => srv.subscribe('/c/doc', { headers: deltaAsk(t) })),
    );
    const box = await srv.subscribe('/c/', { headers: deltaAsk('application/merge-patch+json') });

    // The same bytes again, and a PATCH that changes nothing.
    assert.equal((await srv.put('/c/doc', doc)).status, 204);
    const noop = await srv.request('/c/doc', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: '{}',
    });
    assert.equal(noop.status, 204);
    // A whole new document: any difference would be bigger than a rebuild.
    assert.equal((await srv.put('/c/doc', { other: 1 })).status, 204);
    assert.equal((await srv.request('/c/doc', { method: 'DELETE' })).status, 204);
    for (const [i, sub] of subs.entries()) {
      const got = await sub.rest();
      assert.deepEqual(
        got.map((n) => n.method),
        ['PUT', 'PATCH', 'PUT', 'DELETE'],
      );
      for (const n of [got[0]!, got[1]!, got[3]!])
        assert.equal(n.delta, undefined, `${n.method} has no body`);
      const rebuilt = applyDelta(asks[i]!, new TextEncoder().encode(doc), got[2]!.delta!.body);
      assert.deepEqual(JSON.parse(text(rebuilt)), { other: 1 });
    }
    const members = await box.notifications(4);
    for (const n of members) {
      assert.equal(n.contentLocation, '/c/doc');
      assert.equal(n.delta, undefined);
    }
  });
});
