/**
 * Leak (issue #10): 100 000 notification streams opened and closed against one server (a
 * child process with `--expose-gc`, so its heap holds nothing of the client's), 200 at a
 * time. Each one is a fresh connection (HTTP/1.1 cannot end a response but by closing its
 * connection): it sends the GET with `Accept-Events`, reads the response head (every other
 * one also the opening of part 2, so the subscription is live, not pending), and goes away,
 * half with a FIN and half with a reset.
 *
 * Afterwards the server must hold nothing for them (RSP-8): no subscription, no channel, no
 * connection, no extra handle; its heap after garbage collection within 8 MB of where it was
 * after a 4 000-stream warm-up (96 000 streams more: a leak of 90 bytes each would show); and
 * its RSS not growing with the number of streams served: the second half of the run may add
 * less than 16 MB (a leak of 350 bytes per stream would add more).
 *
 * The client is raw sockets with the request pre-built and the answer checked with a few
 * `indexOf`s: the client shares two cores with the server, and 100 000 of anything through
 * fetch would not fit the time budget. The server's own cost per stream (accepting a
 * connection, a GET, a subscription, the close) is what takes most of the run's time.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { eventually, within } from '../helpers/wait.js';
import { MB, startStatsServer, type ServerStats, type StatsServer } from './helpers.js';

const TOTAL = 100_000;
const WARM_UP = 4_000;
const CONCURRENCY = 200;
const PATHS = 8;

interface Tally {
  streams: number;
  failures: number;
  /** The first few failures, as received. */
  samples: string[];
}

const HEAD_END = Buffer.from('\r\n\r\n');
const OK = Buffer.from('HTTP/1.1 200 ');
const EVENTS_OK = Buffer.from('\r\nEvents: protocol="prep", status=200');
const DIGEST = Buffer.from('multipart/digest; boundary="');

/**
 * One stream: connect, GET, read the head (and maybe part 2's opening), go away. Resolves
 * with undefined, or what was wrong. Buffers and `indexOf` only: this runs 100 000 times.
 */
function openAndClose(port: number, request: Buffer, waitOpening: boolean, reset: boolean) {
  return new Promise<string | undefined>((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.write(request);
    let received: Buffer | undefined;
    let done = false;
    const finish = (failure: string | undefined) => {
      if (done) return;
      done = true;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
      resolve(failure);
    };
    socket.on('data', (chunk: Buffer) => {
      const b = (received = received ? Buffer.concat([received, chunk]) : chunk);
      const headEnd = b.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const events = b.indexOf(EVENTS_OK);
      if (b.indexOf(OK) !== 0 || events < 0 || events > headEnd)
        return finish(b.toString('latin1', 0, Math.min(b.length, headEnd)));
      if (!waitOpening) return finish(undefined);
      // Part 2's head and the digest's first delimiter: the subscription is live.
      const at = b.indexOf(DIGEST, headEnd);
      if (at < 0) return;
      const end = b.indexOf('"', at + DIGEST.length);
      if (end < 0) return;
      const boundary = b.toString('latin1', at + DIGEST.length, end);
      if (b.indexOf(`\r\n\r\n--${boundary}`, end, 'latin1') >= 0) finish(undefined);
    });
    socket.once('close', (hadError) =>
      finish(`${hadError ? 'failed' : 'closed by the server'} after ${String(received)}`),
    );
    socket.on('error', () => undefined);
  });
}

/** Runs `count` streams, `CONCURRENCY` at a time. */
async function run(port: number, from: number, count: number, tally: Tally): Promise<void> {
  const requests = Array.from({ length: PATHS }, (_, i) =>
    Buffer.from(
      `GET /r${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Events: "prep"\r\n\r\n`,
      'latin1',
    ),
  );
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      const failure = await openAndClose(port, requests[i % PATHS]!, i % 2 === 0, i % 4 < 2);
      if (failure === undefined) tally.streams++;
      else if (++tally.failures <= 5) tally.samples.push(failure);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Stats once the server has let go of every stream (it notices closes asynchronously). */
async function settled(server: StatsServer, baseline: ServerStats): Promise<ServerStats> {
  let last: ServerStats | undefined;
  await eventually(
    async () => {
      last = await server.stats();
      return last.subscriptions === 0 && last.connections <= baseline.connections;
    },
    'the server to let go of every stream',
    20_000,
  ).catch(() => undefined);
  return last ?? (await server.stats());
}

test('RSP-8 SEC-2 leak: 100 000 streams opened and closed leave no subscription, connection, handle or heap growth behind', async (t) => {
  const server = await startStatsServer({ keepAliveMs: 30_000, expires: 3600 });
  try {
    for (let i = 0; i < PATHS; i++)
      assert.equal(await put(server.port, `/r${i}`, { i, text: 'watched 100 000 times' }), 201);
    const baseline = await server.stats();
    const tally: Tally = { streams: 0, failures: 0, samples: [] };
    const started = performance.now();

    await within(run(server.port, 0, WARM_UP, tally), 'the warm-up streams', 60_000);
    const warm = await settled(server, baseline);
    const half = (TOTAL - WARM_UP) / 2;
    await within(run(server.port, WARM_UP, half, tally), 'the first half', 120_000);
    const middle = await settled(server, baseline);
    await within(run(server.port, WARM_UP + half, half, tally), 'the second half', 120_000);
    const final = await settled(server, baseline);
    const seconds = (performance.now() - started) / 1000;

    t.diagnostic(
      `${TOTAL} streams in ${seconds.toFixed(1)} s; heapUsed ${fmt(baseline.heapUsed)} -> ` +
        `${fmt(warm.heapUsed)} -> ${fmt(middle.heapUsed)} -> ${fmt(final.heapUsed)}; rss ` +
        `${fmt(warm.rss)} -> ${fmt(middle.rss)} -> ${fmt(final.rss)}; handles ` +
        `${baseline.handles} -> ${final.handles}; server cpu ${((final.cpuMs - baseline.cpuMs) / 1000).toFixed(1)} s`,
    );
    assert.deepEqual(
      { failures: tally.failures, samples: tally.samples },
      { failures: 0, samples: [] },
      'every stream opened (200, Events status=200)',
    );
    assert.equal(tally.streams, TOTAL);
    // RSP-8: nothing is held for a client that went away.
    assert.equal(final.subscriptions, 0, 'subscriptions left open');
    assert.equal(final.channels, 0, 'channels left open');
    assert.equal(final.connections, baseline.connections, 'connections left open');
    assert.ok(
      final.handles <= baseline.handles + 2,
      `active handles ${baseline.handles} before, ${final.handles} after`,
    );
    // After garbage collection: what the warm-up left (JIT code, pools) stays; 96 000 more
    // streams must not add more than a few MB (a leak of 100 bytes per stream is 9 MB).
    assert.ok(
      final.heapUsed - warm.heapUsed < 8 * MB,
      `heap grew by ${fmt(final.heapUsed - warm.heapUsed)} after the warm-up`,
    );
    // Not linear in the number of streams: the second half adds far less than a leak would
    // (48 000 streams × 1 KB ≈ 47 MB); allocator noise is a few MB.
    const firstHalf = middle.rss - warm.rss;
    const secondHalf = final.rss - middle.rss;
    assert.ok(
      secondHalf < 16 * MB,
      `rss grew by ${fmt(firstHalf)} over the first half and ${fmt(secondHalf)} over the second`,
    );
    assert.ok(server.alive(), 'the server is still running');
  } finally {
    await server.kill();
  }
});

/** A PUT on a connection of its own, closed after it (none stays open to skew the counts). */
function put(port: number, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'PUT', agent: false },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.setHeader('Content-Type', 'application/json');
    req.end(JSON.stringify(body));
  });
}

function fmt(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}
