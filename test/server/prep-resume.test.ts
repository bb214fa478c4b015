/**
 * `Last-Event-ID` on the wire: skipping the body (RSP-5), resuming from the log (EXT-1),
 * and resuming across a restart of the server and its SQLite store.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { tempDir } from '../helpers/cleanup.js';
import { bigDoc, text } from '../helpers/documents.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, stuckWriter } from '../helpers/raw-client.js';
import { startTestServer, withServer, type TestServer } from '../helpers/server.js';

const JSON_PATCH = 'application/json-patch+json';
const withDelta = (type = JSON_PATCH) => `"prep";accept=("message/rfc822";delta="${type}")`;

async function patch(srv: TestServer, path: string, body: unknown): Promise<void> {
  const r = await srv.request(path, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 204, r.text);
}

/** The Event-ID of the newest event about `path`. */
async function latestId(srv: TestServer, path: string, members = false): Promise<string> {
  const e = await srv.store.lastEvent(path, { members });
  assert.ok(e);
  return srv.app.history.eventId(e.seq);
}

test('RSP-5 Last-Event-ID: * sends part 1 with its headers but no body, and Vary lists Last-Event-ID', async () => {
  await withServer({}, async (srv) => {
    const created = await srv.put('/doc', bigDoc(3));
    const { client, response } = await rawSubscribe(srv, '/doc', {
      'Accept-Events': '"prep"',
      'Last-Event-ID': '*',
    });
    assert.equal(response.get('vary'), 'Accept-Events, Last-Event-ID');
    const part1 = prepOf(response).part1!;
    assert.equal(
      part1.headers,
      [
        'Content-Type: application/json',
        `ETag: ${created.headers.get('etag')}`,
        `Last-Modified: ${created.headers.get('last-modified')}`,
      ].join('\r\n'),
    );
    assert.equal(part1.body.length, 0);
    // The stream itself is as usual.
    await srv.put('/doc', { v: 2 });
    await client.waitFor(() => prepOf(response).notifications.length === 1, 'a notification');
  });
});

test('RSP-5 Last-Event-ID equal to the latest Event-ID (of the resource, of a container and its members) skips the body', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/c/', '');
    await srv.put('/c/doc', { v: 1 });
    await srv.put('/c/doc', { v: 2 });
    for (const [path, id] of [
      ['/c/doc', await latestId(srv, '/c/doc')],
      ['/c/', await latestId(srv, '/c/', true)],
    ] as const) {
      const { client, response } = await rawSubscribe(srv, path, {
        'Accept-Events': '"prep"',
        'Last-Event-ID': id,
      });
      assert.equal(response.get('vary'), 'Accept-Events, Last-Event-ID', path);
      assert.equal(prepOf(response).part1!.body.length, 0, path);
      assert.match(prepOf(response).part1!.headers, /^Content-Type: application\/json\r\n/);
      client.close();
    }
  });
});

test('RSP-5 any other Last-Event-ID gets the full body (unknown, foreign, older without deltas)', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 1 });
    const old = await latestId(srv, '/doc');
    await srv.put('/doc', { v: 2 });
    const tag = old.slice(old.indexOf('.'));
    for (const id of ['999999' + tag, '1.0000000000', 'garbage', ' ', old]) {
      const { client, response } = await rawSubscribe(srv, '/doc', {
        'Accept-Events': '"prep"',
        'Last-Event-ID': id,
      });
      assert.deepEqual(JSON.parse(prepOf(response).part1!.body.toString()), { v: 2 }, id);
      client.close();
    }
  });
});

test('EXT-1 with deltas and an id still in the log: no body, the missed notifications replayed in order before live ones', async () => {
  await withServer({}, async (srv) => {
    const initial = bigDoc();
    await srv.put('/doc', initial);
    const from = await latestId(srv, '/doc');
    await patch(srv, '/doc', { key1: 'a' });
    await srv.put('/doc', bigDoc(40, { key1: 'a', key2: 'b' }));
    await patch(srv, '/doc', { key3: null });
    const missed = (await srv.store.events({ path: '/doc' })).slice(1);

    const sub = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta(), 'Last-Event-ID': from },
    });
    assert.equal(sub.response.headers.get('vary'), 'Accept-Events, Last-Event-ID');
    assert.equal(sub.part1.body.length, 0);
    await patch(srv, '/doc', { key4: 'live' });
    const got = await sub.notifications(4);
    assert.deepEqual(
      got.map((n) => n.eventId),
      [...missed.map((e) => srv.app.history.eventId(e.seq)), await latestId(srv, '/doc')],
    );
    assert.deepEqual(
      got.map((n) => n.method),
      ['PATCH', 'PUT', 'PATCH', 'PATCH'],
    );
    let state: Uint8Array = Buffer.from(JSON.stringify(initial));
    for (const n of got) {
      assert.ok(n.delta, `${n.method} ${n.eventId} has a delta`);
      state = applyDelta(n.delta.contentType, state, n.delta.body);
    }
    assert.deepEqual(JSON.parse(text(state)), JSON.parse((await srv.request('/doc')).text));
  });
});

test('EXT-1 a resume racing with writes gets every event exactly once, in order', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', bigDoc());
    const from = await latestId(srv, '/doc');
    const fromSeq = srv.app.history.seqOf(from)!;
    await patch(srv, '/doc', { key0: 'before' });
    // Subscribe while a burst of writes goes on, then end the stream with a DELETE.
    const writes = (async () => {
      for (let i = 0; i < 20; i++) await patch(srv, '/doc', { key1: `w${i}` });
    })();
    const sub = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta(), 'Last-Event-ID': from },
    });
    await writes;
    assert.equal((await srv.request('/doc', { method: 'DELETE' })).status, 204);
    const got = await sub.rest();
    const expected = (await srv.store.events({ path: '/doc', afterSeq: fromSeq })).map((e) =>
      srv.app.history.eventId(e.seq),
    );
    assert.equal(expected.length, 22);
    assert.deepEqual(
      got.map((n) => n.eventId),
      expected,
    );
  });
});

test("N822-3 EXT-1 a write still held for its writer is not replayed: it goes out live, once, after the writer's response", async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', bigDoc(20, { v: 0 }));
    await srv.put('/other', { v: 0 });
    const from = await latestId(srv, '/doc');
    // Committed, not yet announced.
    const { writer } = await stuckWriter(srv, '/doc', JSON.stringify(bigDoc(20, { v: 1 })));
    const { client, response } = await rawSubscribe(srv, '/doc', {
      'Accept-Events': withDelta('application/merge-patch+json'),
      'Last-Event-ID': from,
    });
    // A write elsewhere makes its round trip and reaches its subscriber meanwhile.
    const marker = await rawSubscribe(srv, '/other');
    await srv.put('/other', { v: 1 });
    await marker.client.waitFor(() => prepOf(marker.response).notifications.length === 1, 'marker');
    assert.equal(prepOf(response).part1!.body.length, 0, 'EXT-1: no body');
    assert.equal(prepOf(response).notifications.length, 0, 'not before its response');
    writer.resume();
    const put = await writer.response(1);
    await srv.request('/doc', { method: 'DELETE' });
    await client.response(0);
    const got = prepOf(response).notifications;
    assert.deepEqual(
      got.map((n) => n.method),
      ['PUT', 'DELETE'],
    );
    assert.equal(got[0]!.etag, put.get('etag'));
    assert.deepEqual(JSON.parse(text(got[0]!.delta!.body)), { v: 1 });
  });
});

test("N822-3 EXT-1 a member's held write holds up its container's stream, not its sibling's; a resume misses nothing", async () => {
  await withServer({}, async (srv) => {
    await srv.request('/c/', { method: 'PUT' });
    await srv.put('/c/a', { v: 0 });
    await srv.put('/c/b', { v: 0 });
    const from = await latestId(srv, '/c/', true);
    const sibling = await rawSubscribe(srv, '/c/b');
    // /c/a committed, held for its writer; then /c/b committed.
    const { writer } = await stuckWriter(srv, '/c/a', '{"v":1}');
    await srv.put('/c/b', { v: 1 });
    // /c/b's own subscribers are not held up by /c/a's writer...
    await sibling.client.waitFor(() => prepOf(sibling.response).notifications.length === 1, 'b');
    // ...but /c/'s are, in commit order: a resume after the last Event-ID it got then misses
    // nothing (the replay leaves both out; they go out live).
    const { client, response } = await rawSubscribe(srv, '/c/', {
      'Accept-Events': withDelta(),
      'Last-Event-ID': from,
    });
    assert.equal(prepOf(response).notifications.length, 0);
    writer.resume();
    await writer.response(1);
    await srv.put('/c/b', { v: 2 });
    await client.waitFor(() => prepOf(response).notifications.length >= 3, 'three notifications');
    const got = prepOf(response).notifications;
    assert.deepEqual(
      got.map((n) => `${n.method} ${n.contentLocation}`),
      ['PUT /c/a', 'PUT /c/b', 'PUT /c/b'],
    );
    const seqs = got.map((n) => srv.app.history.seqOf(n.eventId)!);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
    );
    assert.equal(new Set(seqs).size, 3);
  });
});

test('EXT-1 RSP-5 once the id has been pruned from the log, the full body is sent', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { v: 1 });
    const from = await latestId(srv, '/doc');
    await patch(srv, '/doc', { v: 2 });
    await patch(srv, '/doc', { v: 3 });
    assert.ok((await srv.store.prune({ maxEvents: 1 })) > 0);
    const sub = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta(), 'Last-Event-ID': from },
    });
    assert.deepEqual(JSON.parse(text(sub.part1.body)), { v: 3 });
    // Nothing is replayed: the next notification is a live one.
    await patch(srv, '/doc', { v: 4 });
    const n = await sub.notification();
    assert.equal(n.eventId, await latestId(srv, '/doc'));
  });
});

test('EXT-1 a restart (SQLite file) keeps every resource, and a Last-Event-ID from before it resumes with deltas', async (t) => {
  const dir = tempDir(t);
  const filename = join(dir, 'prep.db');
  try {
    const first = await startTestServer(t, { store: 'sqlite', filename });
    let state: Uint8Array;
    let from: string;
    const kept = new Map<string, { etag: string | null; body: string }>();
    try {
      await first.put('/c/', '');
      await first.put('/c/x', { x: 1 });
      await first.put('/t', 'some text\n', { type: 'text/plain' });
      await first.put('/doc', bigDoc());
      const sub = await first.subscribe('/doc', { headers: { 'Accept-Events': withDelta() } });
      state = sub.part1.body;
      await patch(first, '/doc', { key1: 'one' });
      const n = await sub.notification();
      state = applyDelta(n.delta!.contentType, state, n.delta!.body);
      from = n.eventId;
      await patch(first, '/doc', { key2: 'missed before the restart' });
      for (const path of ['/', '/c/', '/c/x', '/t', '/doc']) {
        const r = await first.request(path);
        kept.set(path, { etag: r.headers.get('etag'), body: r.text });
      }
    } finally {
      await first.stop();
    }

    const second = await startTestServer(t, { store: 'sqlite', filename });
    try {
      for (const [path, before] of kept) {
        const r = await second.request(path);
        assert.equal(r.status, 200, path);
        assert.equal(r.headers.get('etag'), before.etag, path);
        assert.equal(r.text, before.body, path);
      }
      await patch(second, '/doc', { key3: 'missed after the restart' });
      const sub = await second.subscribe('/doc', {
        headers: { 'Accept-Events': withDelta(), 'Last-Event-ID': from },
      });
      assert.equal(sub.part1.body.length, 0);
      await patch(second, '/doc', { key4: 'live' });
      const got = await sub.notifications(3);
      const seqs = got.map((n) => second.app.history.seqOf(n.eventId) ?? NaN);
      assert.ok(
        seqs.every((s) => s > 0),
        'the Event-IDs are still ours',
      );
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.ok(seqs[0]! > second.app.history.seqOf(from)!);
      for (const n of got) state = applyDelta(n.delta!.contentType, state, n.delta!.body);
      assert.deepEqual(JSON.parse(text(state)), JSON.parse((await second.request('/doc')).text));
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
