/**
 * Burst coalescing in the hub (DESIGN.md "Fan-out"): parts published in one turn go to each
 * subscriber in one socket write, and parts that arrive while a broadcast runs join it for
 * the subscribers it has not reached yet; those already reached get them in one more write.
 * Every subscriber still gets every part exactly once, in order, each its own chunk (RSP-6),
 * and a DELETE still ends the streams (RSP-7). Counts only: no timing is asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hub, type HubEvent, type Subscription } from '../../src/server/engine/hub.js';
import type { StreamSink } from '../../src/server/engine/sink.js';
import { assertDelimitersEndChunks, prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, stuckWriter } from '../helpers/raw-client.js';
import { withServer } from '../helpers/server.js';
import { eventually, turns } from '../helpers/wait.js';

/** A chunked sink that keeps every write. */
class FakeSink implements StreamSink {
  readonly framing = 'chunked' as const;
  readonly writes: Buffer[] = [];
  ended = false;
  closed = false;
  get bufferedBytes(): number {
    return 0;
  }
  get finished(): boolean {
    return this.ended;
  }
  write(bytes: Uint8Array): boolean {
    this.writes.push(Buffer.from(bytes));
    return true;
  }
  end(last: Uint8Array): void {
    this.writes.push(Buffer.from(last));
    this.ended = true;
  }
  destroy(): void {
    this.closed = true;
  }
  /** The chunks of every write, de-framed: [write index, chunk][]. */
  chunks(): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    this.writes.forEach((w, i) => {
      let at = 0;
      while (at < w.length) {
        const crlf = w.indexOf('\r\n', at, 'latin1');
        const size = parseInt(w.toString('latin1', at, crlf), 16);
        assert.ok(Number.isFinite(size), `a chunk header at ${at} of write ${i}`);
        out.push([i, w.toString('latin1', crlf + 2, crlf + 2 + size)]);
        at = crlf + 2 + size + 2;
      }
    });
    return out;
  }
  /** The Event-IDs received, in order. */
  eventIds(): string[] {
    return this.chunks().flatMap(([, c]) => [...c.matchAll(/Event-ID: (\S+)/g)].map((m) => m[1]!));
  }
}

let seq = 0;
function event(path: string, method = 'PUT', parent: string | null = null): HubEvent {
  seq++;
  return {
    seq,
    id: `e${seq}`,
    time: Date.now(),
    method,
    path,
    parent,
    etag: method === 'DELETE' ? null : `"v${seq}"`,
    parentEtag: parent === null ? null : `"c${seq}"`,
  };
}

function subscribeMany(
  hub: Hub,
  path: string,
  n: number,
  { live = true, afterSeq = seq } = {},
): Array<{ sub: Subscription; sink: FakeSink }> {
  return Array.from({ length: n }, () => {
    const sink = new FakeSink();
    const sub = hub.subscribe({
      path,
      isContainer: path.endsWith('/'),
      format: { type: 'message/rfc822' },
      sink,
      afterSeq,
      mixed: 'mixed-boundary',
    });
    if (live) hub.activate(sub);
    return { sub, sink };
  });
}

/** Waits until the hub has made `n` socket writes: a broadcast is under way (it yields per turn). */
async function written(hub: Hub, n: number): Promise<number> {
  for (let i = 0; i < 10_000 && hub.stats.writes < n; i++) await turns(1);
  return hub.stats.writes;
}

/** Lets the hub finish what it has queued (it yields with setImmediate). */
async function settle(hub: Hub, deliveries: number): Promise<void> {
  for (let i = 0; i < 10_000 && hub.stats.deliveries < deliveries; i++) await turns(1);
  await turns(2);
}

test('a burst published in one turn reaches each subscriber in one write, in order', async () => {
  const hub = new Hub();
  const n = 50;
  const subs = subscribeMany(hub, '/doc', n);
  const burst = Array.from({ length: 10 }, () => event('/doc'));
  for (const e of burst) hub.publish([e]);
  await settle(hub, n * burst.length);
  assert.equal(hub.stats.deliveries, n * burst.length);
  assert.equal(hub.stats.writes, n);
  for (const { sink } of subs) {
    assert.equal(sink.writes.length, 1);
    assert.deepEqual(
      sink.eventIds(),
      burst.map((e) => e.id),
    );
    // RSP-6: one chunk per part, even in one write.
    assert.equal(sink.chunks().length, burst.length);
  }
  hub.closeAll();
});

test('parts arriving mid-broadcast join it; subscribers already reached get them in one more write', async () => {
  const perTurn = 10;
  const hub = new Hub({ writesPerTurn: perTurn });
  const n = 100;
  const subs = subscribeMany(hub, '/doc', n);
  const first = event('/doc');
  hub.publish([first]);
  // The broadcast has reached its first subscribers (it yields every `perTurn`).
  const reached = await written(hub, 1);
  assert.ok(reached > 0 && reached < n, `${reached} reached`);
  const late = Array.from({ length: 4 }, () => event('/doc'));
  for (const e of late) hub.publish([e]);
  await settle(hub, n * 5);
  assert.equal(hub.stats.deliveries, n * 5);
  // Without joining: n writes for the first part plus n for the rest.
  assert.equal(hub.stats.writes, n + reached);
  const ids = [first, ...late].map((e) => e.id);
  subs.forEach(({ sink }, i) => {
    assert.deepEqual(sink.eventIds(), ids, `subscriber ${i}`);
    assert.equal(sink.writes.length, i < reached ? 2 : 1, `writes of subscriber ${i}`);
  });
  hub.closeAll();
});

test('a container hears of its members exactly once even when their seqs come out of order', async () => {
  const hub = new Hub({ writesPerTurn: 5 });
  const subs = subscribeMany(hub, '/c/', 20);
  const a = event('/c/a', 'PUT', '/c/');
  const b = event('/c/b', 'PUT', '/c/');
  // b (the later seq) goes out first: another resource's writer was slower to take its response.
  hub.publish([b]);
  await written(hub, 1);
  hub.publish([a]);
  await settle(hub, 40);
  for (const { sink } of subs) assert.deepEqual(sink.eventIds(), [b.id, a.id]);
  assert.equal(hub.stats.deliveries, 40);
  hub.closeAll();
});

test('RSP-7 a DELETE arriving mid-broadcast ends every stream right after its notification', async () => {
  const hub = new Hub({ writesPerTurn: 4 });
  const subs = subscribeMany(hub, '/doc', 12);
  const put = event('/doc');
  hub.publish([put]);
  await written(hub, 1);
  const del = event('/doc', 'DELETE');
  const again = event('/doc'); // created again: not for these streams
  hub.publish([del]);
  hub.publish([again]);
  await settle(hub, 24);
  await turns(5);
  for (const { sub, sink } of subs) {
    assert.deepEqual(sink.eventIds(), [put.id, del.id]);
    assert.equal(sub.state, 'closed');
    assert.ok(sink.ended, 'the close delimiters were written');
  }
  assert.equal(hub.stats.subscriptions, 0);
  hub.closeAll();
});

test('a pending subscription reached by a growing broadcast gets each part once on activation', async () => {
  const hub = new Hub({ writesPerTurn: 3 });
  const live = subscribeMany(hub, '/doc', 6);
  const [pending] = subscribeMany(hub, '/doc', 1, { live: false });
  const e1 = event('/doc');
  hub.publish([e1]);
  await settle(hub, 6);
  const e2 = event('/doc');
  const e3 = event('/doc');
  hub.publish([e2]);
  await written(hub, 7);
  hub.publish([e3]);
  await settle(hub, 18);
  assert.equal(pending!.sink.writes.length, 0);
  hub.activate(pending!.sub);
  assert.deepEqual(pending!.sink.eventIds(), [e1.id, e2.id, e3.id]);
  for (const { sink } of live) assert.deepEqual(sink.eventIds(), [e1.id, e2.id, e3.id]);
  hub.closeAll();
});

test('wire: writes released together reach each of 30 subscribers in one socket write, once each, in order', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', { n: 0 });
    const n = 30;
    const subs = await Promise.all(Array.from({ length: n }, () => rawSubscribe(srv, '/doc')));
    const stats = srv.app.engine.hub.stats;
    const before = { writes: stats.writes, deliveries: stats.deliveries };
    // N822-3 holds later notifications of /doc behind a writer that has not taken its
    // response: the burst is committed first, then released in one go.
    const { writer } = await stuckWriter(srv, '/doc', '{"n":1}');
    const burst = 10;
    for (let k = 2; k <= burst; k++) {
      const r = await srv.put('/doc', { n: k });
      assert.ok(r.status === 200 || r.status === 204, `${r.status}`);
    }
    assert.equal(stats.deliveries, before.deliveries, 'nothing released yet');
    writer.resume();
    await eventually(
      () => stats.deliveries - before.deliveries === n * burst,
      'every notification to be written',
    );
    assert.equal(stats.writes - before.writes, n, 'one socket write per subscriber');
    const expected = (await srv.store.events({ path: '/doc' }))
      .slice(1)
      .map((e) => srv.app.history.eventId(e.seq));
    assert.equal(expected.length, burst);
    for (const { client, response } of subs) {
      await client.waitFor(
        () => prepOf(response).notifications.length >= burst || undefined,
        'the burst on every stream',
      );
      assert.deepEqual(
        prepOf(response).notifications.map((x) => x.eventId),
        expected,
      );
      // RSP-6: still one chunk per part.
      assertDelimitersEndChunks(response, [prepOf(response).mixed, prepOf(response).digest!]);
    }
  });
});
