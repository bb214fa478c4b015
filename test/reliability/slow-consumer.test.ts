/**
 * Slow consumer (issue #10): a subscriber whose socket never reads, while 10 000
 * notifications go out, must cost the server a bounded queue and then its stream (closed
 * cleanly, then cut: DESIGN.md "Fan-out"), never unbounded memory, and must not hold up a
 * subscriber that reads.
 *
 * The slow subscriber asks for JSON merge-patch deltas of a resource whose every write
 * replaces a 12 KB value, so each of its notifications is over 12 KB: had its queue no bound,
 * the server would keep the 10 000 of them, about 120 MB, in that socket's buffer (the
 * kernel's socket buffers take a few MB of it at most). `maxQueueBytes` is 256 KB.
 *
 * What is measured:
 * - the server-side socket of the slow subscriber: the bytes queued on it, sampled every
 *   20 ms, never exceed the bound plus one broadcast's worth (2 MB allowed; unbounded: 120);
 * - the process (server and clients share it), every 100 ms after a forced collection: heap
 *   plus buffers (what it holds: a missing queue bound shows there as +120 MB) must stay
 *   within +48 MB (here about +20: the store's recent states between prunes, requests in
 *   flight, the 10 000 notifications the test keeps); RSS within +96 MB (here about +45,
 *   the load's own churn; +120 more without the bound);
 * - at the end, after a collection, the heap within 16 MB of the start: nothing is held for
 *   the streams once they are gone.
 *
 * The server runs in this process, so its hub's counters and sockets can be read; the event
 * log is pruned every 100 ms so that the store does not keep 120 MB of old states either.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryStore } from '../../src/store/index.js';
import { startServer } from '../../src/server/index.js';
import { prepOf } from '../helpers/prep-body.js';
import { RawClient } from '../helpers/raw-client.js';
import { eventually, within } from '../helpers/wait.js';
import { MB, RawConnection } from './helpers.js';

const NOTIFICATIONS = 10_000;
const WRITERS = 16;
const BLOB = 12 * 1024;
const MAX_QUEUE = 256 * 1024;

// A collection before each memory sample that is compared (node --test runs without
// --expose-gc; the flag can be set at run time and the function fetched from a new context).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('SEC-2 RSP-8 slow consumer: a subscriber that never reads is closed at its queue bound, memory stays bounded, and a reading subscriber gets all 10 000 notifications in order once each', async (t) => {
  const store = new MemoryStore();
  await store.open();
  const running = await startServer({
    store,
    port: 0,
    host: '127.0.0.1',
    maxQueueBytes: MAX_QUEUE,
    slowGraceMs: 1000,
    history: { maxEvents: 200, pruneIntervalMs: 100 },
  });
  const hub = running.app.engine.hub;
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });
  const clients: RawClient[] = [];
  const streams: RawConnection[] = [];
  try {
    // 64 different 12 KB values: consecutive writes always change the value.
    const blobs = Array.from({ length: 64 }, () => randomBytes(BLOB / 2).toString('hex'));
    // Encoded once: the writers make no garbage of their own to blur the measurement.
    const bodies = blobs.map((blob, i) =>
      Buffer.from(JSON.stringify({ i, blob, note: 'x'.repeat(200) })),
    );
    const bodyOf = (i: number) => bodies[i % bodies.length]!;
    const serverSockets = new Set<Socket>();
    running.server.on('connection', (socket: Socket) => serverSockets.add(socket));
    assert.equal(await put(agent, running.port, bodyOf(0)), 201);
    const baseSeq = await store.lastSeq();

    // The reading subscriber keeps its data as it comes and decodes it once, at the end.
    const reading = await RawConnection.open(running.port);
    streams.push(reading);
    reading.write('GET /r HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Events: "prep"\r\n\r\n');
    await reading.waitFor(() => reading.text().includes('multipart/digest'), 'the normal stream');
    const slow = await RawClient.connect(running.port);
    clients.push(slow);
    // The slow one: sends its request, then reads nothing more (its kernel buffers fill, then
    // the server's socket buffer).
    slow.send({
      method: 'GET',
      path: '/r',
      headers: {
        'Accept-Events': '"prep";accept=("message/rfc822";delta="application/merge-patch+json")',
      },
    });
    await slow.head();
    slow.pause();
    await eventually(() => hub.stats.subscriptions === 2, 'both subscriptions');
    const slowPort = slow.socket.localPort;
    const queue = [...serverSockets].find((s) => s.remotePort === slowPort);
    assert.ok(queue, "the slow subscriber's connection on the server");
    let peakQueue = 0;

    gc();
    const start = process.memoryUsage();
    const live = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers;
    let peakRss = start.rss;
    let peakLive = live(start);
    // The queue every 20 ms; the memory every 100 ms, after a collection, so that what is
    // compared is what the process holds, not garbage the collector has yet to reach.
    let ticks = 0;
    const sampler = setInterval(() => {
      peakQueue = Math.max(peakQueue, queue.writableLength);
      if (++ticks % 5 !== 0) return;
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakLive = Math.max(peakLive, live(m));
    }, 20);

    // 10 000 PUTs, 16 at a time over keep-alive connections.
    let next = 1;
    const statuses = new Map<number, number>();
    await within(
      Promise.all(
        Array.from({ length: WRITERS }, async () => {
          while (next <= NOTIFICATIONS) {
            const status = await put(agent, running.port, bodyOf(next++));
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      ),
      'the writes',
      60_000,
    );
    assert.deepEqual([...statuses], [[204, NOTIFICATIONS]], 'every PUT answered 204');
    const lastSeq = await store.lastSeq();
    assert.equal(lastSeq, baseSeq + NOTIFICATIONS);

    // The reading subscriber gets every one, in commit order, once each.
    const lastId = `Event-ID: ${running.app.history.eventId(lastSeq)}\r\n`;
    // (Looking at the last chunks only: joining the whole body at every poll would make
    // garbage enough to blur the memory measurement.)
    await eventually(
      () => reading.data.slice(-4).some((c) => c.includes(lastId)),
      'the last notification',
      30_000,
    );
    clearInterval(sampler);
    const got = reading.prep().notifications.map((n) => n.eventId);
    const expected = Array.from({ length: NOTIFICATIONS }, (_, i) =>
      running.app.history.eventId(baseSeq + 1 + i),
    );
    assert.equal(got.length, NOTIFICATIONS, 'notifications received by the reading subscriber');
    assert.deepEqual(got, expected);

    // The slow one was closed for it (and only it), and the count is back.
    assert.equal(hub.stats.slowClosed, 1, 'streams closed for being slow');
    assert.equal(hub.stats.subscriptions, 1, 'subscriptions: only the reading one');
    const grew = { rss: (peakRss - start.rss) / MB, live: (peakLive - live(start)) / MB };
    t.diagnostic(
      `peak growth: rss +${grew.rss.toFixed(1)} MB, heap and buffers +${grew.live.toFixed(1)} MB; ` +
        `peak queue of the slow stream ${(peakQueue / 1024).toFixed(0)} KB`,
    );
    assert.ok(peakQueue < MAX_QUEUE + 2 * MB, `the slow stream queued ${peakQueue} bytes`);
    assert.ok(
      peakLive - live(start) < 48 * MB,
      `heap and buffers grew by ${grew.live.toFixed(1)} MB`,
    );
    assert.ok(peakRss - start.rss < 96 * MB, `rss grew by ${grew.rss.toFixed(1)} MB`);

    // After its grace the server cuts it: reading now, the slow subscriber finds its stream
    // ended, and what it got is the start of the same sequence, each notification with its
    // delta (so its local copy could follow), none skipped or repeated.
    slow.resume();
    await slow.closed(15_000);
    const slowGot = prepOf(slow.responses[0]!).notifications;
    assert.ok(slowGot.length < NOTIFICATIONS, 'the slow stream was cut before the end');
    assert.deepEqual(
      slowGot.map((n) => n.eventId),
      expected.slice(0, slowGot.length),
    );
    // Its notifications were the big ones (a PUT's delta is a MAY: one may go without).
    assert.ok(
      slowGot.filter((n) => n.delta?.contentType === 'application/merge-patch+json').length > 0,
      'the slow stream got deltas',
    );
    t.diagnostic(`the slow subscriber got ${slowGot.length} notifications before its stream ended`);

    // The reading one leaves too: nothing is held for either (RSP-8).
    reading.close();
    await eventually(() => hub.stats.subscriptions === 0, 'no subscription left');
    assert.equal(hub.stats.channels, 0);
    gc();
    const end = process.memoryUsage().heapUsed;
    assert.ok(
      end - start.heapUsed < 16 * MB,
      `heapUsed +${((end - start.heapUsed) / MB).toFixed(1)} MB`,
    );
  } finally {
    for (const c of clients) c.close();
    for (const c of streams) c.close();
    agent.destroy();
    await running.close();
    await store.close();
  }
});

/** A PUT of `/r`; resolves with the status. */
function put(agent: http.Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/r',
        method: 'PUT',
        agent,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}
