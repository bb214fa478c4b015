/**
 * A `Last-Event-ID` replay with deltas has a budget (issue 15, item 2; SEC-2): the events it
 * reads and the bytes of representation it handles. Beyond it the client gets the current
 * representation instead (RSP-5); within it, the replay is computed once for all who ask.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { SqliteStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/cleanup.js';
import { bigDoc, text } from '../helpers/documents.js';
import { withServer, type TestServer } from '../helpers/server.js';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

const withDelta = `"prep";accept=("message/rfc822";delta="application/json-patch+json")`;

async function patch(srv: TestServer, path: string, body: unknown): Promise<void> {
  const r = await srv.request(path, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 204, r.text);
}

/**
 * A document, then `n` changes of it (merge patches, or PUTs of the whole document); the
 * Event-ID of each state, oldest first.
 */
async function history(srv: TestServer, n: number, size = 40, how: 'patch' | 'put' = 'patch') {
  await srv.put('/doc', bigDoc(size));
  const ids: string[] = [];
  const idOf = async () => srv.app.history.eventId((await srv.store.lastEvent('/doc'))!.seq);
  ids.push(await idOf());
  for (let i = 0; i < n; i++) {
    if (how === 'patch') await patch(srv, '/doc', { [`p${i}`]: i });
    else assert.ok((await srv.put('/doc', bigDoc(size, { [`p${i}`]: i }))).status < 300);
    ids.push(await idOf());
  }
  return ids;
}

test('RSP-5 EXT-1 a Last-Event-ID beyond the replay budget (events) gets the current representation, not a replay', async () => {
  await withServer({ replay: { maxEvents: 10 } }, async (srv) => {
    // Whole documents: a replay's states are rebuilt from the one it starts at.
    const ids = await history(srv, 30, 40, 'put');
    // 5 events back: within the budget, replayed with deltas and no body.
    const near = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-6)! },
    });
    assert.equal(near.part1.body.length, 0);
    const replayed = await near.notifications(5);
    assert.deepEqual(
      replayed.map((n) => n.eventId),
      ids.slice(-5),
    );
    // 25 back: the representation as of now, then live events only.
    const far = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-26)! },
    });
    const current = (await srv.request('/doc')).text;
    assert.equal(text(far.part1.body), current);
    await patch(srv, '/doc', { live: true });
    const next = await far.notification();
    assert.equal(next.eventId, srv.app.history.eventId((await srv.store.lastEvent('/doc'))!.seq));
    let state: Uint8Array = far.part1.body;
    assert.ok(next.delta);
    state = applyDelta(next.delta.contentType, state, next.delta.body);
    assert.deepEqual(JSON.parse(text(state)), JSON.parse((await srv.request('/doc')).text));
  });
});

test('RSP-5 EXT-1 a replay over the byte budget (events × representation size) gets the current representation', async () => {
  // Each state of a 400-key document is about 9 KB: a delta of each event handles two.
  await withServer({ replay: { maxBytes: 64 * 1024 } }, async (srv) => {
    const ids = await history(srv, 12, 400, 'put');
    const far = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-11)! },
    });
    assert.equal(text(far.part1.body), (await srv.request('/doc')).text);
    const near = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-2)! },
    });
    assert.equal(near.part1.body.length, 0);
    assert.equal((await near.notification()).eventId, ids.at(-1));
  });
  // Patches: rebuilding the states applies each to the document (~9 KB each time) from the
  // newest whole state on, whatever the client's id.
  await withServer({ replay: { maxBytes: 64 * 1024 } }, async (srv) => {
    const ids = await history(srv, 12, 400, 'patch');
    const near = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-2)! },
    });
    assert.equal(text(near.part1.body), (await srv.request('/doc')).text);
  });
  await withServer({ replay: { maxBytes: 1024 * 1024 } }, async (srv) => {
    const ids = await history(srv, 12, 400, 'patch');
    const near = await srv.subscribe('/doc', {
      headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids.at(-2)! },
    });
    assert.equal(near.part1.body.length, 0);
    assert.equal((await near.notification()).eventId, ids.at(-1));
  });
});

test('EXT-1 the states of a replay are rebuilt from the newest full state, and once for all who resume together', async (t) => {
  const dir = tempDir(t);
  const store = new SqliteStore({ filename: join(dir, 'prep.db') });
  await store.open();
  // Counts the events of the resource read from the log.
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (name === 'events')
        return async (q?: Parameters<Store['events']>[0]) => {
          const events = await target.events(q);
          if (q?.path === '/doc') reads += events.length;
          return events;
        };
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  try {
    await withServer({ store: counted, replay: { maxEvents: 50 } }, async (srv) => {
      // A long history of PUTs (each a full state), then a few patches.
      for (let i = 0; i < 200; i++) await srv.put('/doc', bigDoc(20, { round: i }));
      const ids = await history(srv, 5, 20);
      reads = 0;
      const subscribers = await Promise.all(
        Array.from({ length: 20 }, () =>
          srv.subscribe('/doc', {
            headers: { 'Accept-Events': withDelta, 'Last-Event-ID': ids[1]! },
          }),
        ),
      );
      for (const s of subscribers) {
        assert.equal(s.part1.body.length, 0, 'replayed: 200 older PUTs did not count');
        const got = await s.notifications(4);
        assert.deepEqual(
          got.map((n) => n.eventId),
          ids.slice(2),
        );
        assert.ok(got.every((n) => n.delta));
      }
      // Six events (from the PUT the replay starts at) for all twenty, not six each.
      assert.ok(reads < 20, `${reads} events read from the log for 20 resumptions`);
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
