/**
 * One PREP behaviour suite, run against every adapter (hono's `common.case.test.ts` way):
 * node:http, node:http2 over TLS and h2c, Express 4 and 5, Fastify. Each adapter's test
 * file starts the same small app (the examples' JSON documents at /docs/<name>) on its
 * framework and transport, and calls `prepBehaviour(name, start)`.
 *
 * Everything is checked on the wire: HTTP/1.1 chunks through a raw TCP client, HTTP/2 DATA
 * frames through a node:http2 client session (see `clients.ts`).
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import type { Notification } from '../../packages/client/src/core/notification.js';
import type { Prep, PrepOptions } from '../../src/server/index.js';
import { bigDoc } from '../helpers/documents.js';
import { boundaryOf, readPrepBody, type PrepBody } from '../helpers/prep-body.js';
import { eventually } from '../helpers/wait.js';
import { createClient, type ClientKind, type OpenResponse, type TestClient } from './clients.js';
import { HOLD_HEADER, WriterHold } from './hold.js';

/** DSC-1, HDR-2: a JSON resource's advertisement names the delta types JSON allows. */
const JSON_ADVERT =
  '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))';

/** A running adapter under test. */
export interface Started {
  /** `http://127.0.0.1:<port>` or `https://...` */
  url: string;
  /** What the test client speaks to it. */
  kind: ClientKind;
  /** The certificate to trust (TLS). */
  ca?: Buffer;
  /** The PREP instance the app uses (the suite reads its hub's counters). */
  prep: Prep;
  /** Ends the streams (prep.close()) and the server. */
  close(): Promise<void>;
}

/** What the suite asks of a start. */
export interface StartOptions {
  /** Options of `createPrep` (expires, limits, watch); pass them all on. */
  prep: PrepOptions;
  /** Wire it so that requests with `X-Hold` have their response held (see `hold.ts`). */
  hold: WriterHold;
}

export type Start = (options: StartOptions) => Promise<Started>;

/** A started node:http server (plain or under a framework) on 127.0.0.1:0, as a `Started`. */
export async function listening(server: Server, prep: Prep): Promise<Started> {
  if (!server.listening)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    kind: 'http1',
    prep,
    async close() {
      await prep.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The examples' app watches its documents. */
export const WATCH = (path: string): boolean => path.startsWith('/docs/');

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const PREP = { 'Accept-Events': '"prep"' };
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const withDelta = (type: string): Record<string, string> => ({
  'Accept-Events': `"prep";accept=("message/rfc822";delta="${type}")`,
});
const CONNECTION_SPECIFIC = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
];

interface Ctx {
  srv: Started;
  client: TestClient;
  hold: WriterHold;
  put: (
    path: string,
    value: unknown,
    headers?: Record<string, string>,
  ) => ReturnType<TestClient['request']>;
  /** Opens a stream and waits for part 1 and the digest's opening. */
  subscribe: (path: string, headers?: Record<string, string>) => Promise<OpenResponse>;
}

/** Runs the PREP behaviour suite against an adapter; `skip` says why it cannot run here. */
export function prepBehaviour(
  name: string,
  start: Start,
  options: { skip?: string | false } = {},
): void {
  async function withAdapter(
    fn: (ctx: Ctx) => Promise<void>,
    prepOptions: PrepOptions = {},
  ): Promise<void> {
    const hold = new WriterHold();
    const srv = await start({ prep: { watch: WATCH, ...prepOptions }, hold });
    const client = createClient(srv.url, srv.kind, srv.ca);
    // N822-3: the hub's publications, in order with the held writers' 'finish'.
    const hub = srv.prep.engine.hub;
    const publish = hub.publish.bind(hub);
    hub.publish = (events) => {
      for (const e of events) hold.log.push(`publish ${e.path}`);
      publish(events);
    };
    const ctx: Ctx = {
      srv,
      client,
      hold,
      put: (path, value, headers = {}) =>
        client.request('PUT', path, {
          headers: { 'Content-Type': 'application/json', ...headers },
          body: JSON.stringify(value),
        }),
      async subscribe(path, headers = PREP) {
        const s = await client.open(path, headers);
        assert.equal(s.status, 200, `GET ${path} with ${JSON.stringify(headers)}: ${s.status}`);
        assert.match(s.headers.events ?? '', /status=200/);
        await s.waitFor(
          () => prepOf(s).digest !== undefined,
          `the opening of the stream on ${path}`,
        );
        return s;
      },
    };
    try {
      await fn(ctx);
    } finally {
      client.close();
      await srv.close();
    }
  }

  describe(`PREP behaviour: ${name}`, { skip: options.skip ?? false }, () => {
    test('DSC-1 MTH-1 DSC-2 GET and HEAD of a watched resource advertise prep, with Vary; a missing one does not', async () => {
      await withAdapter(async ({ client, put }) => {
        assert.equal((await put('/docs/a', { a: 1 })).status, 201);
        for (const method of ['GET', 'HEAD']) {
          const r = await client.request(method, '/docs/a');
          assert.equal(r.status, 200, method);
          assert.equal(r.headers['accept-events'], JSON_ADVERT, method);
          assert.match(r.headers.vary ?? '', /\bAccept-Events\b/i, method);
          assert.equal(
            r.headers.events,
            undefined,
            `${method}: HDR-5, no Events without Accept-Events`,
          );
          if (method === 'GET') assert.deepEqual(JSON.parse(r.body.toString()), { a: 1 });
          else assert.equal(r.body.length, 0);
        }
        const missing = await client.request('GET', '/docs/none');
        assert.equal(missing.status, 404);
        assert.doesNotMatch(missing.headers['accept-events'] ?? '', /prep/);
      });
    });

    test('RSP-1 RSP-2 RSP-3 RSP-4 RSP-6 the head and layout of a notifications response', async () => {
      await withAdapter(async ({ client, put, subscribe }) => {
        const created = await put('/docs/a', { a: 1 });
        const etag = created.headers.etag!;
        const plain = await client.request('GET', '/docs/a');
        const s = await subscribe('/docs/a');
        assert.equal(s.status, 200); // ERR-4: the base status
        const mixed = boundaryOf(s.headers['content-type']);
        assert.equal(s.headers['content-type'], `multipart/mixed; boundary="${mixed}"`);
        assert.equal(s.headers.events, 'protocol="prep", status=200, expires=3600');
        assert.match(s.headers.date ?? '', IMF_FIXDATE); // RSP-1 MUST Date
        assert.match(s.headers.vary ?? '', /\bAccept-Events\b/);
        assert.equal(s.headers['accept-events'], JSON_ADVERT); // RSP-3
        assert.equal(s.headers['last-modified'], plain.headers['last-modified']); // RSP-2
        assert.equal(s.headers['cache-control'], 'no-store');
        assert.equal(s.headers.etag, undefined, 'the ETag is in part 1, not on the stream');
        if (client.kind === 'h2')
          for (const n of CONNECTION_SPECIFIC)
            assert.ok(!s.fieldNames.includes(n), `no ${n} field over HTTP/2`);
        const body = prepOf(s);
        const part1 = body.part1!;
        // RSP-4 part 1: the base's representation headers and body.
        assert.match(part1.headers, /^Content-Type: application\/json/im);
        assert.match(part1.headers, new RegExp(`^ETag: ${escape(etag)}$`, 'im'));
        assert.match(part1.headers, /^Last-Modified: /im);
        assert.doesNotMatch(part1.headers, /^Content-Length:/im);
        assert.deepEqual(JSON.parse(part1.body.toString()), { a: 1 });
        // RSP-6: `--M`, `--M` and `--D` each end a chunk or DATA frame.
        assertDelimitersEndPieces(s, [mixed, body.digest!]);
      });
    });

    test('N822-2 N822-4 N822-5 N822-7 N822-8 RSP-7 PUT, PATCH and DELETE notify with deltas; DELETE ends the stream', async () => {
      await withAdapter(async ({ client, put, subscribe }) => {
        const doc0 = bigDoc();
        await put('/docs/a', doc0);
        const merge = await subscribe('/docs/a', withDelta(MERGE));
        const jsonPatch = await subscribe('/docs/a', withDelta(JSON_PATCH));
        const bare = await subscribe('/docs/a');

        const doc1 = { ...doc0, key3: 'changed by PUT' };
        const putReply = await put('/docs/a', doc1);
        assert.equal(putReply.status, 204);
        const patchDoc = JSON.stringify({ key5: 'changed by PATCH' });
        const patchReply = await client.request('PATCH', '/docs/a', {
          headers: { 'Content-Type': MERGE },
          body: patchDoc,
        });
        assert.equal(patchReply.status, 204);
        const doc2 = { ...doc1, key5: 'changed by PATCH' };
        assert.equal((await client.request('DELETE', '/docs/a')).status, 204);

        for (const [s, type] of [
          [merge, MERGE],
          [jsonPatch, JSON_PATCH],
          [bare, undefined],
        ] as const) {
          // RSP-7: right after the DELETE's notification, both close delimiters and the end.
          await s.waitFor(
            () => s.complete && prepOf(s).closed,
            `the end of the ${type ?? 'plain'} stream`,
          );
          const body = prepOf(s);
          const [n1, n2, n3] = body.notifications;
          assert.equal(body.notifications.length, 3);
          assert.deepEqual(
            body.notifications.map((n) => n.method),
            ['PUT', 'PATCH', 'DELETE'],
          );
          assert.equal(n1!.etag, putReply.headers.etag); // N822-5
          assert.equal(n2!.etag, patchReply.headers.etag);
          assert.equal(n3!.etag, undefined);
          assert.equal(new Set(body.notifications.map((n) => n.eventId)).size, 3); // N822-4
          for (const n of body.notifications) assert.ok(n.date instanceof Date);
          assert.equal(n3!.delta, undefined); // N822-7: no body for DELETE
          if (type === undefined) {
            for (const n of body.notifications) assert.equal(n.delta, undefined); // N822-7
          } else {
            // N822-8: each delta turns the previous state into the next.
            const state1 = applied(type, body.part1!.body, n1!);
            assert.deepEqual(JSON.parse(state1.toString()), doc1);
            assert.deepEqual(JSON.parse(applied(type, state1, n2!).toString()), doc2);
            // A PATCH in the very type asked for is its own delta.
            if (type === MERGE) assert.equal(Buffer.from(n2!.delta!.body).toString(), patchDoc);
          }
          assertDelimitersEndPieces(s, [body.mixed, body.digest!]);
        }
      });
    });

    test('RSP-6 notifications published in one round are each their own chunk or DATA frame', async () => {
      await withAdapter(async ({ srv, put, subscribe }) => {
        await put('/docs/a', { v: 0 });
        const s = await subscribe('/docs/a');
        // Outside any request: published at once, in one tick, so the hub renders one round.
        for (let i = 1; i <= 4; i++)
          srv.prep.notify({ method: 'PUT', path: '/docs/a', etag: `"v${i}"` });
        await s.waitFor(() => prepOf(s).notifications.length >= 4, '4 notifications');
        const body = prepOf(s);
        assert.deepEqual(
          body.notifications.map((n) => n.etag),
          ['"v1"', '"v2"', '"v3"', '"v4"'],
        );
        assertDelimitersEndPieces(s, [body.mixed, body.digest!]);
      });
    });

    test('RSP-5 EXT-1 Last-Event-ID: * and the latest id skip the body; an older one with deltas replays; others get the body', async () => {
      await withAdapter(async ({ client, put, subscribe }) => {
        const doc0 = bigDoc();
        await put('/docs/a', doc0);
        const first = await subscribe('/docs/a', withDelta(MERGE));
        const doc1 = { ...doc0, key1: 'one' };
        await put('/docs/a', doc1);
        const id1 = (await waitNotifications(first, 1))[0]!.eventId;
        first.close();
        const doc2 = { ...doc1, key2: 'two' };
        const doc3 = { ...doc2, key3: 'three' };
        await put('/docs/a', doc2);
        await put('/docs/a', doc3);

        // EXT-1: no body, the missed notifications in order, with deltas from doc1 on.
        const resumed = await subscribe('/docs/a', { ...withDelta(MERGE), 'Last-Event-ID': id1 });
        const replay = await waitNotifications(resumed, 2);
        assert.equal(prepOf(resumed).part1!.body.length, 0);
        assert.match(prepOf(resumed).part1!.headers, /^Content-Type: application\/json/im);
        assert.match(resumed.headers.vary ?? '', /Last-Event-ID/);
        let state: Buffer = Buffer.from(JSON.stringify(doc1));
        for (const n of replay) state = applied(MERGE, state, n);
        assert.deepEqual(JSON.parse(state.toString()), doc3);
        const latest = replay[1]!.eventId;

        // RSP-5: the latest id, or `*`: part 1 without body.
        for (const id of [latest, '*']) {
          const s = await subscribe('/docs/a', { ...PREP, 'Last-Event-ID': id });
          assert.equal(prepOf(s).part1!.body.length, 0, `Last-Event-ID: ${id}`);
          assert.match(prepOf(s).part1!.headers, /^ETag: /im);
          assert.match(s.headers.vary ?? '', /Last-Event-ID/);
        }
        // Any other id (unknown; older without deltas): the full body.
        for (const id of ['1.unknown', id1]) {
          const s = await subscribe('/docs/a', { ...PREP, 'Last-Event-ID': id });
          assert.deepEqual(
            JSON.parse(prepOf(s).part1!.body.toString()),
            doc3,
            `Last-Event-ID: ${id}`,
          );
        }
        client.close();
      });
    });

    test('ERR-2 ERR-3 ERR-4 HDR-5 MTH-2 406 for an accept we cannot serve, 412 for a missing resource, no Events on writes', async () => {
      await withAdapter(async ({ client, put }) => {
        await put('/docs/a', { a: 1 });
        const turtle = await client.request('GET', '/docs/a', {
          headers: { 'Accept-Events': '"prep";accept="text/turtle"' },
        });
        assert.equal(turtle.status, 200);
        assert.equal(turtle.headers.events, 'protocol="prep", status=406');
        assert.deepEqual(JSON.parse(turtle.body.toString()), { a: 1 });
        assert.match(turtle.headers.vary ?? '', /Accept-Events/);

        const missing = await client.request('GET', '/docs/none', { headers: PREP });
        assert.equal(missing.status, 404);
        assert.equal(missing.headers.events, 'protocol="prep", status=412');
        assert.doesNotMatch(missing.headers['accept-events'] ?? '', /prep/);

        const written = await put('/docs/a', { a: 2 }, PREP);
        assert.equal(written.status, 204);
        assert.equal(written.headers.events, undefined);
        assert.doesNotMatch(written.headers['accept-events'] ?? '', /prep/);
      });
    });

    test('SEC-2 ERR-3 beyond maxPerClient: the base response with Events status=429 and Retry-After', async () => {
      await withAdapter(
        async ({ client, put, subscribe }) => {
          await put('/docs/a', { a: 1 });
          await subscribe('/docs/a');
          const over = await client.request('GET', '/docs/a', { headers: PREP });
          assert.equal(over.status, 200);
          assert.equal(over.headers.events, 'protocol="prep", status=429');
          assert.equal(over.headers['retry-after'], '5');
          assert.deepEqual(JSON.parse(over.body.toString()), { a: 1 });
        },
        { limits: { maxPerClient: 1 } },
      );
    });

    test('RSP-7 a stream ends with both close delimiters when expires elapses', async () => {
      await withAdapter(
        async ({ put, subscribe }) => {
          await put('/docs/a', { a: 1 });
          const s = await subscribe('/docs/a');
          assert.equal(s.headers.events, 'protocol="prep", status=200, expires=1');
          await s.waitFor(() => s.complete, 'the stream to end');
          const body = prepOf(s);
          assert.ok(body.closed);
          assertDelimitersEndPieces(s, [body.mixed, body.digest!]);
        },
        { expires: 1 },
      );
    });

    test('RSP-8 clients that go away are forgotten: subscriptions and channels drop to 0', async () => {
      await withAdapter(async ({ srv, put, subscribe }) => {
        await put('/docs/a', { a: 1 });
        const streams = [await subscribe('/docs/a'), await subscribe('/docs/a', withDelta(MERGE))];
        const stats = srv.prep.engine.hub.stats;
        assert.equal(stats.subscriptions, 2);
        assert.equal(stats.channels, 2);
        for (const s of streams) s.close();
        await eventually(
          () => stats.subscriptions === 0 && stats.channels === 0,
          'the hub to forget them',
        );
        // And the server goes on.
        assert.equal((await put('/docs/a', { a: 2 })).status, 204);
      });
    });

    test("N822-3 a change is notified only once the writer's response has been sent", async () => {
      await withAdapter(async ({ client, hold, put, subscribe }) => {
        await put('/docs/a', { v: 0 });
        await put('/docs/b', { v: 0 });
        const a = await subscribe('/docs/a');
        const b = await subscribe('/docs/b');
        hold.log.length = 0;
        // The writer's handler runs (the change is applied, prep.notify called), but its
        // response is held back.
        const writer = put('/docs/a', { v: 1 }, { [HOLD_HEADER]: '1' });
        await hold.held();
        // A later change elsewhere goes through the hub and out...
        await put('/docs/b', { v: 1 });
        await waitNotifications(b, 1);
        // ...while the held one has not been published.
        assert.equal(prepOf(a).notifications.length, 0);
        assert.deepEqual(hold.log, ['publish /docs/b']);

        hold.release();
        const reply = await writer;
        assert.equal(reply.status, 204);
        const [n] = await waitNotifications(a, 1);
        assert.equal(n!.etag, reply.headers.etag);
        assert.deepEqual(hold.log, ['publish /docs/b', 'finish', 'publish /docs/a']);
        client.close();
      });
    });
  });
}

// ---------------------------------------------------------------------------------------

/** The PREP body of an open response so far (strict layout, see `readPrepBody`). */
export function prepOf(s: OpenResponse): PrepBody {
  return readPrepBody(s.body, boundaryOf(s.headers['content-type']));
}

/** Waits until the stream holds `n` notifications; returns them. */
export async function waitNotifications(s: OpenResponse, n: number): Promise<Notification[]> {
  const body = await s.waitFor(() => {
    const b = prepOf(s);
    return b.notifications.length >= n ? b : undefined;
  }, `${n} notifications`);
  return body.notifications;
}

/**
 * RSP-6: every delimiter (`--B` at the start or after a line break) ends a piece (HTTP/1.1
 * chunk, HTTP/2 DATA frame), and the next piece starts with its CRLF or the closing `--`.
 */
export function assertDelimitersEndPieces(s: OpenResponse, boundaries: readonly string[]): void {
  const body = s.body.toString('latin1');
  const pieces = s.pieces.filter((p) => p.length > 0);
  let at = 0;
  const ends = pieces.map((p) => (at += p.length));
  const endSet = new Set(ends);
  let count = 0;
  for (const b of boundaries) {
    const dash = `--${b}`;
    for (let i = body.indexOf(dash); i >= 0; i = body.indexOf(dash, i + 1)) {
      if (i !== 0 && body.slice(i - 2, i) !== '\r\n') continue;
      count++;
      const end = i + dash.length;
      assert.ok(endSet.has(end), `the delimiter ${dash} at ${i} does not end a chunk or frame`);
      if (end === body.length) continue; // the stream goes on
      const next = pieces[ends.indexOf(end) + 1]?.toString('latin1') ?? '';
      assert.ok(
        next.startsWith('\r\n') || next.startsWith('--'),
        `the piece after ${dash} at ${i} starts with ${JSON.stringify(next.slice(0, 8))}`,
      );
    }
  }
  assert.ok(count > 0, 'no delimiter found');
}

function applied(type: string, state: Uint8Array, n: Notification): Buffer {
  assert.ok(n.delta, `the ${n.method} notification has a delta`);
  assert.equal(n.delta.contentType, type);
  return Buffer.from(applyDelta(type, state, n.delta.body));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
