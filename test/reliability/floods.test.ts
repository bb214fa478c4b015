/**
 * Floods (issue #10), against a server in a child process with `--expose-gc` (stats-server.ts),
 * so that its heap and connections can be measured apart from the test's clients, and so that
 * a crash would show as an exit.
 *
 * (a) Ten times the subscription limit at once: the excess is refused with an `Events` status
 *     and `Retry-After` on the base response (SEC-2, ERR-3), the accepted streams work, plain
 *     GETs are answered meanwhile, and once every client has gone the server holds nothing.
 * (b) Thousands of malformed requests, each on a connection of its own, and slow-loris heads:
 *     every one gets the 4xx its fault calls for (never a 5xx), or, for the slow heads, is
 *     cut after the head timeout; the server keeps answering and does not crash.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, within } from '../helpers/wait.js';
import { MB, RawConnection, startStatsServer, type StatsServer } from './helpers.js';

const STREAM_REQUEST = 'GET /r HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Events: "prep"\r\n\r\n';

/** A request on a connection of its own; resolves with the status and headers. */
function request(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method, path, agent: false, headers },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    }),
    `${method} ${path}`,
  );
}

/** Plain GETs, one after the other, until `done`: each must be answered 200. */
async function plainGets(port: number, done: () => boolean): Promise<number[]> {
  const statuses: number[] = [];
  while (!done()) {
    statuses.push((await request(port, 'GET', '/r')).status);
    await sleep(5);
  }
  // And one after the flood, so at least one is counted.
  statuses.push((await request(port, 'GET', '/r')).status);
  return statuses;
}

/** Stats once the server has let go of every stream and connection. */
async function settled(server: StatsServer, connections = 0) {
  return eventually(
    async () => {
      const s = await server.stats();
      return s.subscriptions === 0 && s.connections <= connections ? s : undefined;
    },
    'the server to let go of every stream and connection',
    20_000,
  );
}

test('SEC-2 ERR-3 RSP-8 subscription flood: 10× the limit at once gets 503 or 429 with Retry-After for the excess, the accepted streams work, GETs are answered, and nothing is held afterwards', async (t) => {
  const LIMIT = 50;
  const PER_CLIENT = 30;
  const server = await startStatsServer({
    limits: { maxSubscriptions: LIMIT, maxPerClient: PER_CLIENT, retryAfter: 7 },
  });
  const conns: RawConnection[] = [];
  try {
    assert.equal(
      (await request(server.port, 'PUT', '/r', '{"v":0}', { 'Content-Type': 'application/json' }))
        .status,
      201,
    );
    // Warm up the paths the flood takes (a few streams opened and closed), then measure.
    for (let i = 0; i < 5; i++) {
      const c = await RawConnection.open(server.port);
      c.write(STREAM_REQUEST);
      await c.waitFor(() => c.text().includes('multipart/digest'), 'a warm-up stream');
      c.close();
    }
    const baseline = await settled(server);

    // 500 at once from two clients of the per-client bound: four in five from 127.0.0.1, one
    // in five from 127.0.0.2. Each may hold 30 and together they may hold 50: the first client
    // reaches its 30 first (429 for its next ones), then both together the 50 (503).
    let flooding = true;
    const gets = plainGets(server.port, () => !flooding);
    const addresses = ['127.0.0.1', '127.0.0.2'];
    const outcomes = await within(
      Promise.all(
        Array.from({ length: LIMIT * 10 }, async (_, i) => {
          const from = addresses[i % 5 === 4 ? 1 : 0]!;
          const c = await RawConnection.open(server.port, from);
          conns.push(c);
          c.write(STREAM_REQUEST);
          // A stream: its head and part 2's opening; a refusal: the whole base response.
          await c.waitFor(
            () => c.complete() || /multipart\/digest; boundary="[^"]+"\r\n\r\n--/.test(c.text()),
            `response ${i}`,
          );
          const head = c.head()!;
          return { from, c, status: head.status, headers: head.headers };
        }),
      ),
      'the 500 responses',
      60_000,
    );
    flooding = false;

    const accepted = outcomes.filter((o) => /status=200/.test(o.headers.get('events') ?? ''));
    const refused = outcomes.filter((o) => !accepted.includes(o));
    const byAddress = (from: string) => accepted.filter((o) => o.from === from).length;
    t.diagnostic(
      `accepted ${accepted.length} (${addresses.map(byAddress).join(' + ')}), refused ` +
        `${refused.filter((o) => o.headers.get('events')?.includes('=503')).length} with 503 and ` +
        `${refused.filter((o) => o.headers.get('events')?.includes('=429')).length} with 429`,
    );
    assert.equal(accepted.length, LIMIT, 'streams accepted: exactly the total bound');
    const refusedWith = (status: number) =>
      refused.filter((o) => o.headers.get('events')?.includes(`status=${status}`)).length;
    assert.ok(refusedWith(429) > 0 && refusedWith(503) > 0, 'both bounds were met');
    assert.equal(refusedWith(429) + refusedWith(503), refused.length);
    for (const a of addresses) assert.ok(byAddress(a) <= PER_CLIENT, `streams from ${a}`);
    for (const o of refused) {
      // ERR-3 / ERR-4: the base response (200, its body), the notifications' status apart.
      assert.equal(o.status, 200, 'a refused stream still gets the base response');
      assert.match(o.headers.get('events') ?? '', /^protocol="prep", status=(503|429)$/);
      assert.equal(o.headers.get('retry-after'), '7');
      assert.equal(o.c.text().slice(o.c.head()!.length), '{"v":0}');
      // 429 only to a client at its own bound.
      if (o.headers.get('events')!.includes('429')) assert.equal(byAddress(o.from), PER_CLIENT);
    }
    const during = await gets;
    assert.ok(
      during.every((s) => s === 200),
      `plain GETs during the flood: ${during.join(' ')}`,
    );
    assert.equal((await server.stats()).subscriptions, LIMIT);

    // The accepted streams work: a write reaches every one of them.
    const put = await request(server.port, 'PUT', '/r', '{"v":1}', {
      'Content-Type': 'application/json',
    });
    assert.equal(put.status, 204);
    await Promise.all(
      accepted.map(({ c }) =>
        c.waitFor(() => c.prep().notifications.length === 1, 'the notification'),
      ),
    );
    for (const { c } of accepted) assert.equal(c.prep().notifications[0]!.etag, put.headers.etag);

    // Every client goes away: nothing is held for them (RSP-8).
    for (const c of conns) c.close();
    const after = await settled(server);
    t.diagnostic(
      `heapUsed ${(baseline.heapUsed / MB).toFixed(1)} -> ${(after.heapUsed / MB).toFixed(1)} MB`,
    );
    assert.equal(after.subscriptions, 0);
    assert.equal(after.channels, 0);
    assert.equal(after.connections, 0);
    assert.ok(after.handles <= baseline.handles, `handles ${baseline.handles} -> ${after.handles}`);
    assert.ok(
      after.heapUsed - baseline.heapUsed < 8 * MB,
      `heap ${(baseline.heapUsed / MB).toFixed(1)} -> ${(after.heapUsed / MB).toFixed(1)} MB`,
    );
    // And the bound is free again.
    const c = await RawConnection.open(server.port);
    conns.push(c);
    c.write(STREAM_REQUEST);
    await c.waitFor(() => c.head() !== undefined, 'a stream after the flood');
    assert.match(c.head()!.headers.get('events') ?? '', /status=200/);
    assert.ok(server.alive());
  } finally {
    for (const c of conns) c.close();
    await server.kill();
  }
});

/** One malformed request: its bytes (sent in order, `pause` ms apart) and what it must get. */
interface Malformed {
  name: string;
  pieces: string[];
  /** Half-close the connection after the last piece. */
  end?: boolean;
  /** The statuses it may get; `closed` for the connection closed without a response. */
  expect: Array<number | 'closed'>;
  /** Checks of the response beyond its status. */
  check?: (c: RawConnection) => void;
}

const H = 'Host: 127.0.0.1\r\n';
const JSON_TYPE = 'Content-Type: application/json\r\n';
const withBody = (head: string, body: string) =>
  `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Every kind of malformed request of the burst, each with what it must get. */
function malformed(i: number): Malformed[] {
  return [
    {
      name: 'no colon in a header line',
      pieces: [`GET /r HTTP/1.1\r\n${H}Bad Header Line\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'a NUL in a header value',
      pieces: [`GET /r HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'a space before the colon',
      pieces: [`GET /r HTTP/1.1\r\n${H}X-A : b\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'a head over 16 KiB',
      pieces: [`GET /r HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      expect: [431],
    },
    // node:http counts names and values only (not ': ' and CRLF) against the bound: 10 000
    // lines of `X: y` are 60 KB on the wire, 20 KB counted.
    {
      name: '10 000 short header lines',
      pieces: [`GET /r HTTP/1.1\r\n${H}${'X: y\r\n'.repeat(10_000)}\r\n`],
      expect: [431],
    },
    { name: 'no Host', pieces: ['GET /r HTTP/1.1\r\n\r\n'], expect: [400] },
    {
      name: 'a Content-Length that is not a number',
      pieces: [`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: abc\r\n\r\n{}`],
      expect: [400],
    },
    {
      name: 'a negative Content-Length',
      pieces: [`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: -1\r\n\r\n{}`],
      expect: [400],
    },
    {
      name: 'two different Content-Lengths',
      pieces: [
        `PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      ],
      expect: [400],
    },
    {
      name: 'Content-Length with Transfer-Encoding',
      pieces: [
        `PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      ],
      expect: [400],
    },
    {
      name: 'a bad chunk size',
      pieces: [
        `PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
      expect: [400],
    },
    {
      name: 'a body that is not JSON',
      pieces: [withBody(`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}`, '{"unterminated": ')],
      expect: [400],
    },
    // Far over the 1 MiB limit: refused at once (a body just over it would be drained first,
    // so that the client reads the 413).
    {
      name: 'a body of 5 MB (declared)',
      pieces: [`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: 5000000\r\n\r\n{"a":`],
      expect: [413],
    },
    {
      name: 'a Content-Type that is not a media type',
      pieces: [withBody(`PUT /m${i} HTTP/1.1\r\n${H}Content-Type: ???\r\n`, '{}')],
      expect: [415],
    },
    {
      name: 'a JSON Patch that is not JSON',
      pieces: [
        withBody(
          `PATCH /r HTTP/1.1\r\n${H}Content-Type: application/json-patch+json\r\n`,
          '[{"op":',
        ),
      ],
      expect: [400],
    },
    {
      name: 'a JSON Patch with an unknown op',
      pieces: [
        withBody(
          `PATCH /r HTTP/1.1\r\n${H}Content-Type: application/json-patch+json\r\n`,
          '[{"op":"bogus","path":"/v"}]',
        ),
      ],
      expect: [400],
    },
    {
      name: 'a JSON Patch on a missing path',
      pieces: [
        withBody(
          `PATCH /r HTTP/1.1\r\n${H}Content-Type: application/json-patch+json\r\n`,
          '[{"op":"replace","path":"/no/such","value":1}]',
        ),
      ],
      expect: [422],
    },
    {
      name: 'a JSON Patch whose test fails',
      pieces: [
        withBody(
          `PATCH /r HTTP/1.1\r\n${H}Content-Type: application/json-patch+json\r\n`,
          '[{"op":"test","path":"/v","value":"other"}]',
        ),
      ],
      expect: [409],
    },
    {
      name: 'a merge patch of a missing resource',
      pieces: [
        withBody(
          `PATCH /m${i} HTTP/1.1\r\n${H}Content-Type: application/merge-patch+json\r\n`,
          '{"a":1}',
        ),
      ],
      expect: [404],
    },
    {
      name: 'a patch in an unknown type',
      pieces: [withBody(`PATCH /r HTTP/1.1\r\n${H}Content-Type: text/x-patch\r\n`, 'x')],
      expect: [415],
    },
    {
      name: 'an If-Match that matches nothing',
      pieces: [withBody(`PUT /r HTTP/1.1\r\n${H}${JSON_TYPE}If-Match: garbage\r\n`, '{"v":0}')],
      expect: [412],
    },
    {
      name: 'a truncated body, then the client half-closes',
      pieces: [`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Content-Length: 100\r\n\r\n{"a":1`],
      end: true,
      expect: [400, 'closed'],
    },
    {
      name: 'a target that is not a path',
      pieces: [`GET http://elsewhere.example/r HTTP/1.1\r\n${H}\r\n`],
      expect: [400],
    },
    { name: 'an empty path segment', pieces: [`GET /a//b HTTP/1.1\r\n${H}\r\n`], expect: [400] },
    {
      name: 'a target over 4096 characters',
      pieces: [`GET /${'a'.repeat(5000)} HTTP/1.1\r\n${H}\r\n`],
      expect: [414],
    },
    { name: 'an unknown method', pieces: [`BREW /r HTTP/1.1\r\n${H}\r\n`], expect: [400] },
    {
      name: 'a method the resource does not take',
      pieces: [withBody(`POST /r HTTP/1.1\r\n${H}${JSON_TYPE}`, '{}')],
      expect: [405],
    },
    {
      name: 'an Expect other than 100-continue',
      pieces: [withBody(`PUT /m${i} HTTP/1.1\r\n${H}${JSON_TYPE}Expect: teapot\r\n`, '{}')],
      expect: [417],
    },
    // HDR-4: an Accept-Events that cannot be parsed is ignored: the plain answer, no Events.
    {
      name: 'an unparsable Accept-Events',
      pieces: [`GET /r HTTP/1.1\r\n${H}Accept-Events: "prep";accept=(((\r\n\r\n`],
      expect: [200],
      check: (c) => assert.equal(c.head()!.headers.get('events'), undefined, 'HDR-5: no Events'),
    },
    {
      name: 'an Accept-Events of 8 KB of list members',
      pieces: [`GET /r HTTP/1.1\r\n${H}Accept-Events: ${'"x", '.repeat(1600)}"prep"\r\n\r\n`],
      expect: [200],
    },
  ];
}

/** Sends one malformed request on a fresh connection; resolves with its status or `closed`. */
async function sendMalformed(port: number, m: Malformed): Promise<number | 'closed'> {
  const c = await RawConnection.open(port);
  try {
    for (const piece of m.pieces) c.write(piece);
    if (m.end) c.socket.end();
    await c
      .waitFor(
        () =>
          c.complete() ||
          (c.head() !== undefined && c.head()!.headers.get('transfer-encoding') === 'chunked'),
        m.name,
        15_000,
      )
      .catch((e: unknown) => {
        if (!c.ended || c.length > 0) throw e;
      });
    const head = c.head();
    if (!head) return 'closed';
    m.check?.(c);
    return head.status;
  } finally {
    c.close();
  }
}

test('SEC-2 HDR-4 malformed-request flood: thousands of bad heads, lengths, bodies, patches and Accept-Events each get their 4xx (never a 5xx), slow-loris heads are cut, and the server keeps answering', async (t) => {
  const server = await startStatsServer({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  const slow: RawConnection[] = [];
  try {
    const created = await request(server.port, 'PUT', '/r', '{"v":0}', {
      'Content-Type': 'application/json',
    });
    assert.equal(created.status, 201);
    const baseline = await server.stats();

    let flooding = true;
    const gets = plainGets(server.port, () => !flooding);

    // Slow-loris: heads sent a few bytes at a time and never finished; the head timeout
    // (1 s here) must cut every one, whatever the flood next to it.
    const LORIS = 100;
    const loris = Promise.all(
      Array.from({ length: LORIS }, async () => {
        const c = await RawConnection.open(server.port);
        slow.push(c);
        c.write(`GET /r HTTP/1.1\r\n${H}`);
        for (let k = 0; k < 40 && !c.ended; k++) {
          c.write(`X-${k}: ${k}\r\n`);
          await sleep(100);
        }
        await c.waitFor(() => c.ended, 'the server to cut a slow head', 15_000);
        return c.head()?.status ?? 'closed';
      }),
    );

    // The burst: every kind, 80 times over, 100 connections at a time.
    const ROUNDS = 80;
    const jobs = Array.from({ length: ROUNDS }, (_, i) => malformed(i)).flat();
    const outcomes = new Map<string, Map<number | 'closed', number>>();
    let next = 0;
    await within(
      Promise.all(
        Array.from({ length: 100 }, async () => {
          while (next < jobs.length) {
            const m = jobs[next++]!;
            const got = await sendMalformed(server.port, m);
            const counts = outcomes.get(m.name) ?? new Map<number | 'closed', number>();
            counts.set(got, (counts.get(got) ?? 0) + 1);
            outcomes.set(m.name, counts);
          }
        }),
      ),
      'the malformed requests',
      60_000,
    );
    const cut = await within(loris, 'the slow heads', 30_000);
    flooding = false;
    const during = await gets;

    const kinds = malformed(0);
    t.diagnostic(
      kinds
        .map(
          (m) =>
            `${m.name}: ${[...outcomes.get(m.name)!].map(([s, n]) => `${n}× ${s}`).join(', ')}`,
        )
        .join('; '),
    );
    t.diagnostic(
      `${jobs.length} malformed requests, ${LORIS} slow heads, ${during.length} GETs meanwhile`,
    );
    for (const m of kinds) {
      const got = outcomes.get(m.name)!;
      assert.ok(
        [...got.keys()].every((s) => m.expect.includes(s)),
        `${m.name}: got ${[...got].map(([s, n]) => `${n}× ${s}`).join(', ')}, expected ${m.expect.join(' or ')}`,
      );
    }
    const all = [...outcomes.values()].flatMap((m) => [...m.keys()]);
    assert.ok(!all.some((s) => typeof s === 'number' && s >= 500), 'no 5xx');
    assert.ok(
      cut.every((s) => s === 408 || s === 'closed'),
      `slow heads: ${[...new Set(cut)].join(', ')}`,
    );
    assert.ok(
      during.every((s) => s === 200),
      `plain GETs during the flood: ${during.join(' ')}`,
    );

    // Still up, still right, and nothing left open.
    assert.ok(server.alive(), 'the server is still running');
    const r = await request(server.port, 'GET', '/r');
    assert.deepEqual([r.status, r.body], [200, '{"v":0}']);
    const after = await settled(server);
    assert.equal(after.connections, 0);
    assert.ok(
      after.handles <= baseline.handles + 1,
      `handles ${baseline.handles} -> ${after.handles}`,
    );
  } finally {
    for (const c of slow) c.close();
    await server.kill();
  }
});
