// live() with a fake fetch: deltas, the ETag chain, re-fetches, deletion, and its APIs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LiveChangeEvent,
  PrepSubscribeError,
  live,
  type LiveChange,
  type LiveResource,
} from '../../packages/client/src/client/index.js';
import { nss } from './fixtures.js';
import { bodyOf, eventually, fakeFetch, octets, responseOf, type SeenRequest } from './helpers.js';

const URL_ = 'http://localhost/doc';
const M = 'mixed-b';
const D = 'digest-b';
const HEAD = {
  'content-type': `multipart/mixed; boundary="${M}"`,
  events: 'protocol="prep", status=200, expires=3600',
};
const part1 = (value: unknown, etag: string) =>
  `--${M}\r\nContent-Type: application/json\r\nETag: ${etag}\r\n\r\n${JSON.stringify(value)}\r\n--${M}\r\nContent-Type: multipart/digest; boundary="${D}"\r\n\r\n--${D}`;
const JSON_PATCH = 'application/json-patch+json';
function note(method: string, id: string, etag?: string, delta?: [string, unknown]): string {
  let head = `Method: ${method}\r\nDate: Tue, 24 Nov 2026 01:00:01 GMT\r\nEvent-ID: ${id}\r\n`;
  if (etag) head += `ETag: ${etag}\r\n`;
  if (delta) head += `Content-Type: ${delta[0]}\r\n\r\n${JSON.stringify(delta[1])}`;
  else head += '\r\n';
  return `\r\n\r\n${head}\r\n--${D}`;
}
const CLOSE = `--\r\n--${M}--\r\n`;
const stream = (...chunks: string[]) => responseOf({ headers: HEAD }, chunks.map(octets));
const json = (value: unknown, etag: string, status = 200) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json', etag },
  });

/** A fake server: `streams` answer notifications requests in turn, `gets` plain GETs. */
function fakeServer(streams: Array<() => Response>, gets: Array<() => Response> = []) {
  let s = 0;
  let g = 0;
  return fakeFetch((request: SeenRequest) => {
    if (request.headers.has('accept-events')) {
      const next = streams[s++];
      if (!next) throw new Error('no more streams');
      return next();
    }
    const next = gets[g++];
    if (!next) throw new Error('no more GETs');
    return next();
  });
}

function changesOf<T>(doc: LiveResource<T>): LiveChange<T>[] {
  const seen: LiveChange<T>[] = [];
  doc.onChange((c) => seen.push(c));
  return seen;
}

test('N822-8 N822-5 applies deltas, and skips an event whose ETag is the one it holds', async () => {
  const { fetch, requests } = fakeServer([
    () =>
      stream(
        part1({ a: 1 }, '"e1"'),
        // Already in the representation: the server read it before subscribing.
        note('PUT', '1', '"e1"'),
        note('PATCH', '2', '"e2"', [JSON_PATCH, [{ op: 'replace', path: '/a', value: 2 }]]),
        note('PATCH', '3', '"e3"', ['application/merge-patch+json', { b: [true] }]),
        CLOSE,
      ),
  ]);
  const doc = live<{ a: number; b?: boolean[] }>(URL_, { fetch, reconnect: false });
  const changes = changesOf(doc);
  assert.equal(await doc.ended, 'expired');
  assert.deepEqual(doc.value, { a: 2, b: [true] });
  assert.equal(doc.etag, '"e3"');
  assert.equal(doc.eventId, '3');
  assert.deepEqual(
    changes.map((c) => [c.cause, c.etag, c.eventId]),
    [
      ['representation', '"e1"', undefined],
      ['delta', '"e2"', '2'],
      ['delta', '"e3"', '3'],
    ],
  );
  assert.equal(requests.length, 1, 'no re-fetch');
  assert.equal(
    requests[0]!.headers.get('accept-events'),
    '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
  );
});

test('N822-7 MTH-3 a notification without delta is followed by a plain GET with If-None-Match', async () => {
  const { fetch, requests } = fakeServer(
    [() => stream(part1({ a: 1 }, '"e1"'), note('PUT', '1', '"e2"'), CLOSE)],
    [() => json({ a: 5 }, '"e2"')],
  );
  const doc = live(URL_, { fetch, reconnect: false, delta: 'application/merge-patch+json' });
  assert.equal(await doc.ended, 'expired');
  assert.deepEqual(doc.value, { a: 5 });
  assert.equal(doc.etag, '"e2"');
  assert.equal(requests.length, 2);
  assert.ok(requests.every((r) => r.method === 'GET'));
  assert.equal(requests[1]!.headers.get('accept-events'), null);
  assert.equal(requests[1]!.headers.get('if-none-match'), '"e1"');
  assert.match(
    requests[0]!.headers.get('accept-events')!,
    /delta="application\/merge-patch\+json"/,
  );
});

test('N822-5 events already in the representation are undone when the one that made it arrives', async () => {
  // The representation was read after events 2 and 3; the server sends them anyway.
  const { fetch, requests } = fakeServer([
    () =>
      stream(
        part1({ v: 3 }, '"e3"'),
        note('PATCH', '2', '"e2"', [JSON_PATCH, [{ op: 'replace', path: '/v', value: 2 }]]),
        note('PATCH', '3', '"e3"', [JSON_PATCH, [{ op: 'replace', path: '/v', value: 3 }]]),
        note('PATCH', '4', '"e4"', [JSON_PATCH, [{ op: 'add', path: '/w', value: 4 }]]),
        CLOSE,
      ),
  ]);
  const doc = live(URL_, { fetch, reconnect: false });
  const changes = changesOf(doc);
  await doc.ended;
  assert.deepEqual(doc.value, { v: 3, w: 4 });
  assert.equal(doc.etag, '"e4"');
  assert.deepEqual(
    changes.map((c) => c.cause),
    ['representation', 'delta', 'base', 'delta'],
  );
  assert.equal(requests.length, 1);
});

test('N822-5 after a re-fetch newer than its event, the events up to that state are skipped', async () => {
  const { fetch, requests } = fakeServer(
    [
      () =>
        stream(
          part1({ v: 1 }, '"e1"'),
          note('PUT', '2', '"e2"'), // no delta: re-fetch, which returns state e3
          note('PATCH', '3', '"e3"', [JSON_PATCH, [{ op: 'remove', path: '/gone' }]]),
          note('PATCH', '4', '"e4"', [JSON_PATCH, [{ op: 'replace', path: '/v', value: 4 }]]),
          CLOSE,
        ),
    ],
    [() => json({ v: 3 }, '"e3"')],
  );
  const doc = live(URL_, { fetch, reconnect: false });
  const changes = changesOf(doc);
  await doc.ended;
  assert.deepEqual(doc.value, { v: 4 });
  assert.deepEqual(
    changes.map((c) => [c.cause, c.etag]),
    [
      ['representation', '"e1"'],
      ['refetch', '"e3"'],
      ['delta', '"e4"'],
    ],
  );
  assert.equal(requests.length, 2);
});

test('N822-8 a delta that does not apply to the state held means a re-fetch; 304 keeps the state', async () => {
  const { fetch, requests } = fakeServer(
    [
      () =>
        stream(
          part1({ a: 1 }, '"e1"'),
          note('PATCH', '2', '"e2"', [JSON_PATCH, [{ op: 'remove', path: '/missing' }]]),
          note('PUT', '3', '"e3"'),
          CLOSE,
        ),
    ],
    [
      () => json({ a: 2 }, '"e2"'),
      () => new Response(null, { status: 304, headers: { etag: '"e2"' } }),
    ],
  );
  const doc = live(URL_, { fetch, reconnect: false });
  await doc.ended;
  assert.deepEqual(doc.value, { a: 2 });
  assert.equal(doc.etag, '"e2"');
  assert.equal(requests.length, 3);
  assert.equal(requests[2]!.headers.get('if-none-match'), '"e2"');
});

test('RSP-7 a DELETE ends the copy (whenDeleted: end): value undefined, ended "deleted"', async () => {
  const { fetch, requests } = fakeServer([
    () => stream(part1({ a: 1 }, '"e1"'), note('DELETE', '2'), CLOSE),
  ]);
  const doc = live(URL_, { fetch, reconnect: { minDelayMs: 1 } });
  const changes = changesOf(doc);
  assert.equal(await doc.ended, 'deleted');
  assert.equal(doc.value, undefined);
  assert.equal(doc.etag, undefined);
  assert.equal(doc.deleted, true);
  assert.deepEqual(changes.at(-1), {
    value: undefined,
    etag: undefined,
    eventId: '2',
    deleted: true,
    cause: 'delete',
  });
  assert.equal(requests.length, 1);
});

test('RSP-7 with whenDeleted: watch, a deleted resource is polled until it exists again', async () => {
  const gone = () =>
    new Response('', { status: 404, headers: { events: 'protocol="prep", status=412' } });
  const { fetch, requests } = fakeServer([
    () => stream(part1({ a: 1 }, '"e1"'), note('DELETE', '2'), CLOSE),
    gone,
    gone,
    () => stream(part1({ a: 9 }, '"e9"'), note('DELETE', '10'), CLOSE),
    ...Array.from({ length: 10_000 }, () => gone),
  ]);
  const doc = live(URL_, {
    fetch,
    whenDeleted: 'watch',
    reconnect: { minDelayMs: 1, maxDelayMs: 5 },
  });
  const changes = changesOf(doc);
  await eventually(() => changes.length === 4 && requests.length > 5);
  assert.deepEqual(
    changes.map((c) => [c.cause, c.deleted, c.value]),
    [
      ['representation', false, { a: 1 }],
      ['delete', true, undefined],
      ['representation', false, { a: 9 }],
      ['delete', true, undefined],
    ],
  );
  assert.equal(doc.endReason, undefined, 'still watching');
  doc.close();
  assert.equal(await doc.ended, 'closed');
  assert.ok(requests.every((r) => r.method === 'GET' && r.headers.has('accept-events')));
});

test('RSP-5 a connect event for every accepted response: after a reconnect whose body was omitted, no change', async () => {
  const { fetch, requests } = fakeServer([
    () => stream(part1({ a: 1 }, '"e1"'), note('PUT', '2', '"e2"', [JSON_PATCH, []]), CLOSE),
    // The reconnect sends Last-Event-ID: 2; nothing happened since, so part 1 has no body.
    () => stream(part1('', '"e2"').replace('""', ''), note('DELETE', '3'), CLOSE),
  ]);
  const doc = live(URL_, { fetch, reconnect: { minDelayMs: 1 } });
  const seen: string[] = [];
  for (const type of ['connect', 'change', 'reconnect', 'end'])
    doc.addEventListener(type, () => seen.push(type));
  assert.equal(await doc.ended, 'deleted');
  assert.equal(requests[1]!.headers.get('last-event-id'), '2');
  assert.deepEqual(seen, ['connect', 'change', 'change', 'reconnect', 'connect', 'change', 'end']);
});

test('HDR-6 a re-fetch response with Events (not asked for) is invalid: the copy fails', async () => {
  const { fetch } = fakeServer(
    [() => stream(part1({ a: 1 }, '"e1"'), note('PUT', '2', '"e2"'), CLOSE)],
    [
      () =>
        new Response('{"a":2}', {
          headers: { 'content-type': 'application/json', events: 'protocol="prep", status=200' },
        }),
    ],
  );
  const doc = live(URL_, { fetch, reconnect: false });
  const errors: unknown[] = [];
  doc.addEventListener('error', (e) => errors.push((e as Event & { error: unknown }).error));
  assert.equal(await doc.ended, 'error');
  assert.ok(doc.error instanceof PrepSubscribeError && doc.error.code === 'EVENTS_UNSOLICITED');
  assert.equal(errors.length, 1);
  assert.deepEqual(doc.value, { a: 1 });
});

test('HDR-5 live() fails when the server serves no notifications, or the resource is not JSON', async () => {
  const plainGet = fakeFetch(() => json({ a: 1 }, '"e1"'));
  const a = live(URL_, { fetch: plainGet.fetch });
  await assert.rejects(
    a.ready,
    (e: unknown) => e instanceof PrepSubscribeError && e.code === 'EVENTS_ABSENT',
  );
  assert.equal(await a.ended, 'error');
  const text = fakeFetch(() =>
    responseOf({ headers: HEAD }, [
      octets(
        `--${M}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${M}\r\nContent-Type: multipart/digest; boundary="${D}"\r\n\r\n--${D}${CLOSE}`,
      ),
    ]),
  );
  const b = live(URL_, { fetch: text.fetch });
  await assert.rejects(
    b.ready,
    (e: unknown) => e instanceof PrepSubscribeError && e.code === 'NOT_JSON',
  );
  const missing = fakeFetch(() => new Response('', { status: 404 }));
  const c = live(URL_, { fetch: missing.fetch });
  await assert.rejects(
    c.ready,
    (e: unknown) => e instanceof PrepSubscribeError && e.status === 404,
  );
});

test('live(): ready, change events, onChange, and async iteration from the current state', async () => {
  let push!: (s: string) => void;
  let end!: () => void;
  const { fetch } = fakeServer([
    () => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          push = (s) => c.enqueue(octets(s));
          end = () => c.close();
        },
      });
      return new Response(body, { headers: HEAD });
    },
  ]);
  const doc = live<{ n: number }>(URL_, { fetch, reconnect: false });
  await eventually(() => push !== undefined);
  push(part1({ n: 0 }, '"e0"'));
  await doc.ready;
  assert.deepEqual(doc.value, { n: 0 });
  const events: number[] = [];
  doc.addEventListener('change', (e) =>
    events.push((e as LiveChangeEvent<{ n: number }>).change.value!.n),
  );
  const iterated: number[] = [];
  const loop = (async () => {
    for await (const change of doc) iterated.push(change.value!.n);
  })();
  for (let n = 1; n <= 3; n++)
    push(
      note('PATCH', String(n), `"e${n}"`, [JSON_PATCH, [{ op: 'replace', path: '/n', value: n }]]),
    );
  await eventually(() => events.length === 3);
  push(CLOSE);
  end();
  assert.equal(await doc.ended, 'expired');
  await loop;
  assert.deepEqual(events, [1, 2, 3]);
  assert.deepEqual(iterated, [0, 1, 2, 3]);
});

test('RSP-8 close() and the signal stop the copy', async () => {
  const { fetch } = fakeServer([() => new Response(new ReadableStream(), { headers: HEAD })]);
  const controller = new AbortController();
  const doc = live(URL_, { fetch, signal: controller.signal });
  controller.abort();
  assert.equal(await doc.ended, 'closed');
  await assert.rejects(doc.ready);
});

test('N822-7 keeps a recorded node-solid-server 5.8.8 JSON-LD document: no Event-ID, no delta, no ETag, so a re-fetch per event; the DELETE ends it', async () => {
  const { fetch, requests } = fakeServer(
    [() => responseOf(nss.live, [bodyOf(nss.live)])],
    [() => responseOf(nss.liveGet, [bodyOf(nss.liveGet)])],
  );
  const doc = live('http://127.0.0.1:8931/notes/live.jsonld', { fetch });
  const seen = changesOf(doc);
  assert.equal(await doc.ended, 'deleted');
  assert.deepEqual(
    seen.map((c) => [c.cause, c.value, c.eventId]),
    [
      ['representation', { '@id': '#it', n: 1 }, undefined],
      ['refetch', { '@id': '#it', n: 2 }, undefined],
      ['delete', undefined, undefined],
    ],
  );
  assert.equal(requests.length, 2, 'the stream, one re-fetch, no reconnect');
});
