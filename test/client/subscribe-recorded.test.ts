// subscribe() against recorded byte streams, served by a fake fetch and cut at every
// chunk boundary: whatever the chunking, the same items come out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  PrepSubscribeError,
  subscribe,
  type SubscriptionItem,
} from '../../packages/client/src/client/index.js';
import { draft00, draftFigureLf, expressPrep, jsonLd, nss, ourServer } from './fixtures.js';
import {
  bodyOf,
  collect,
  controlledBody,
  fakeFetch,
  plain,
  responseOf,
  splitAt,
  twoWaySplits,
  type Recording,
} from './helpers.js';

async function itemsFor(
  recording: Recording,
  chunks: readonly Uint8Array[],
  lastEventId?: string,
): Promise<Record<string, unknown>[]> {
  const { fetch } = fakeFetch(() => responseOf(recording, chunks));
  const options = lastEventId === undefined ? {} : { lastEventId };
  const items = await collect(
    subscribe('http://localhost/doc', { ...options, fetch, reconnect: false }),
  );
  return items.map((item: SubscriptionItem) => plain(item));
}

/** Reads `recording` cut in two at every byte, in one-byte chunks, and at random cuts. */
async function sameAtEveryCut(
  recording: Recording,
  expected: Record<string, unknown>[],
  lastEventId?: string,
): Promise<void> {
  const all = bodyOf(recording);
  for (const chunks of twoWaySplits(all)) {
    assert.deepEqual(
      await itemsFor(recording, chunks, lastEventId),
      expected,
      `cut ${chunks[0]?.length}`,
    );
  }
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (cuts) => {
      assert.deepEqual(await itemsFor(recording, splitAt(all, cuts), lastEventId), expected);
    }),
    { numRuns: 60 },
  );
}

test("RSP-4 RSP-6 N822-4 N822-8 RSP-7 reads our server's stream (deltas, keep-alives, DELETE) at every chunk boundary", async () => {
  const rep = {
    kind: 'representation',
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['etag', '"17a504c921c70d0552b5a3d65e46524b"'],
      ['last-modified', 'Tue, 24 Nov 2026 01:32:18 GMT'],
    ],
    body: '{"title":"Hello","tags":["a"]}',
    omitted: false,
    protocol: 'prep',
    eventsStatus: 200,
  };
  await sameAtEveryCut(ourServer, [
    rep,
    {
      kind: 'notification',
      method: 'PATCH',
      date: '2026-11-24T01:32:18.000Z',
      eventId: '2.43813843de',
      etag: '"0f8576631b465f1dedf0792e0e41ceed"',
      delta: {
        type: 'application/json-patch+json',
        body: '[{"op":"add","path":"/tags/-","value":"b"}]',
      },
    },
    // The two empty digest parts between (keep-alives) yield nothing.
    {
      kind: 'notification',
      method: 'PUT',
      date: '2026-11-24T01:32:19.000Z',
      eventId: '3.43813843de',
      etag: '"dabb90e8744afc1ae2d1654dd30ecaf1"',
    },
    {
      kind: 'notification',
      method: 'PATCH',
      date: '2026-11-24T01:32:19.000Z',
      eventId: '4.43813843de',
      etag: '"7686b0f2aafdbbf948bdf6d40dede19f"',
    },
    {
      kind: 'notification',
      method: 'DELETE',
      date: '2026-11-24T01:32:19.000Z',
      eventId: '5.43813843de',
    },
    { kind: 'end', reason: 'deleted' },
  ]);
});

test("HDR-3 N822-6 reads express-prep's stream (expires as an HTTP-date string, Location) at every chunk boundary", async () => {
  await sameAtEveryCut(expressPrep, [
    {
      kind: 'representation',
      status: 200,
      headers: [['content-type', 'application/json']],
      body: '{"n":0}',
      omitted: false,
      protocol: 'prep',
      eventsStatus: 200,
    },
    { kind: 'notification', method: 'PUT', date: '2026-11-24T01:27:26.000Z', eventId: '2FEUn2' },
    {
      kind: 'notification',
      method: 'POST',
      date: '2026-11-24T01:27:26.000Z',
      eventId: 'BWvAf4',
      contentLocation: '/foo/1',
    },
    { kind: 'notification', method: 'DELETE', date: '2026-11-24T01:27:26.000Z', eventId: 'pQwrHp' },
    { kind: 'end', reason: 'deleted' },
  ]);
});

const turtle = (body: string) => ({
  kind: 'representation',
  status: 200,
  headers: [['content-type', 'text/turtle']],
  body,
  omitted: false,
  protocol: 'prep',
  eventsStatus: 200,
});

test("N822-4 RSP-7 reads node-solid-server 5.8.8's recorded stream: notifications without Event-ID, and the DELETE ends it as deleted", async () => {
  await sameAtEveryCut(nss.document, [
    turtle('<#it> <#is> "one" .'),
    { kind: 'notification', method: 'PUT', date: '2026-12-07T19:39:46.000Z' },
    { kind: 'notification', method: 'PATCH', date: '2026-12-07T19:39:47.000Z' },
    { kind: 'notification', method: 'DELETE', date: '2026-12-07T19:39:48.000Z' },
    { kind: 'end', reason: 'deleted' },
  ]);
});

test("N822-1 reads node-solid-server 5.8.8's recorded JSON-LD notifications as parts", async () => {
  const items = await itemsFor(nss.jsonLd, [bodyOf(nss.jsonLd)]);
  assert.deepEqual(
    items.map((i) => [i.kind, i.type ?? i.reason ?? null]),
    [
      ['representation', null],
      ['part', 'application/ld+json'],
      ['part', 'application/ld+json'],
      ['end', 'expired'],
    ],
  );
  const activities = items.slice(1, 3).map((i) => JSON.parse(i.raw as string) as { type: string });
  assert.deepEqual(
    activities.map((a) => a.type),
    ['Update', 'Delete'],
  );
});

test('REQ-2 RSP-5 after an event without Event-ID there is nothing to resume from: the reconnect sends no Last-Event-ID', async () => {
  // node-solid-server's container stream (a POST with Location, then cut while open), then
  // our own server's stream whose ids a later reconnect would send.
  const { fetch, requests } = fakeFetch((_, i) =>
    i === 0
      ? responseOf(nss.container, [bodyOf(nss.container)])
      : responseOf(ourServer, [bodyOf(ourServer)]),
  );
  const items = (
    await collect(
      subscribe('http://127.0.0.1:8931/notes/', {
        fetch,
        lastEventId: 'from-before',
        reconnect: { retries: 3, minDelayMs: 1, maxDelayMs: 1 },
      }),
    )
  ).map(plain);
  assert.deepEqual(items.slice(1, 3), [
    {
      kind: 'notification',
      method: 'POST',
      date: '2026-12-07T19:39:53.000Z',
      contentLocation: '/notes/new.ttl',
    },
    { kind: 'reconnect', attempt: 1, reason: 'dropped', lastEventId: undefined },
  ]);
  assert.equal(requests[0]!.headers.get('last-event-id'), 'from-before');
  assert.equal(requests[1]!.headers.get('last-event-id'), null, 'no id to resume from');
  assert.equal(items[3]!.kind, 'representation', 'the whole state again');
  assert.deepEqual(items.at(-1), { kind: 'end', reason: 'deleted' });
});

test('RSP-7 a DELETE of the resource ends the subscription as deleted even when the server keeps the stream open', async () => {
  const body = controlledBody();
  const { fetch, requests } = fakeFetch(
    () => new Response(body.stream, { headers: { ...expressPrep.headers } }),
  );
  const sub = subscribe('http://localhost/doc', { fetch });
  const got: SubscriptionItem[] = [];
  const done = (async () => {
    for await (const item of sub) got.push(item);
  })();
  // express-prep's first chunk (part 1 and the digest's first delimiter), then a DELETE and
  // nothing more: no close delimiter.
  body.push(expressPrep.chunks[0]!);
  body.push(
    '\r\n\r\nMethod: DELETE\r\nDate: Tue, 24 Nov 2026 01:27:26 GMT\r\n\r\n\r\n--bQR76iaDjKpBAr3pKMDi',
  );
  await done;
  assert.deepEqual(
    got.map((i) => (i.kind === 'notification' ? i.method : i.kind === 'end' ? i.reason : i.kind)),
    ['representation', 'DELETE', 'deleted'],
  );
  assert.equal(requests.length, 1, 'no reconnect into a 404');
});

test('HDR-3 RSP-5 reads a draft -00 body: token PREP, bare multipart/digest (representation omitted), E-tag', async () => {
  await sameAtEveryCut(
    draft00,
    [
      {
        kind: 'representation',
        status: 200,
        headers: [['etag', '"1234abcd"']],
        body: '',
        omitted: true,
        protocol: 'prep',
        eventsStatus: 200,
      },
      {
        kind: 'notification',
        method: 'PUT',
        date: '2023-04-01T10:11:12.000Z',
        eventId: '456',
        etag: '"6789wxyz"',
      },
      { kind: 'notification', method: 'DELETE', date: '2023-04-01T10:11:13.000Z', eventId: '789' },
      { kind: 'end', reason: 'deleted' },
    ],
    '123',
  );
});

test('RSP-4 N822-1 yields other notification formats as raw parts; preamble, keep-alive, epilogue; an rfc822 part without Event-ID', async () => {
  await sameAtEveryCut(jsonLd, [
    {
      kind: 'representation',
      status: 200,
      headers: [['content-type', 'text/turtle']],
      body: '<> a <#Doc> .',
      omitted: false,
      protocol: 'prep',
      eventsStatus: 200,
    },
    {
      kind: 'part',
      type: 'application/ld+json',
      raw: '{"type":"Update","object":"http://localhost/doc","state":"e1"}',
    },
    // No Event-ID: a notification all the same, with no id (N822-4 liberal reading).
    { kind: 'notification', method: 'PUT', date: '2024-11-07T14:20:00.000Z' },
    {
      kind: 'part',
      type: 'application/ld+json',
      raw: '{"type":"Remove","object":"http://localhost/doc#x","state":"e2"}',
    },
    // Both close delimiters, no DELETE: the stream expired; reconnecting is off.
    { kind: 'end', reason: 'expired' },
  ]);
});

test("RSP-4 N822-8 reads the draft's figure with bare LF line ends and a delta of any type", async () => {
  await sameAtEveryCut(draftFigureLf, [
    {
      kind: 'representation',
      status: 200,
      headers: [['content-type', 'text/html']],
      body: '<html>',
      omitted: false,
      protocol: 'prep',
      eventsStatus: 200,
    },
    {
      kind: 'notification',
      method: 'PATCH',
      date: '2023-04-01T10:14:16.000Z',
      eventId: '1236',
      etag: '"xyz987"',
      delta: { type: 'application/example', body: '<delta>' },
    },
    { kind: 'end', reason: 'expired' },
  ]);
});

test('HDR-3 reads expires both as integer seconds and as an HTTP-date string', async () => {
  for (const [recording, seconds] of [
    [ourServer, 3600],
    [expressPrep, 3600],
  ] as const) {
    const { fetch } = fakeFetch(() => responseOf(recording, [bodyOf(recording)]));
    const sub = subscribe('http://localhost/doc', { fetch, reconnect: false });
    const first = (await sub[Symbol.asyncIterator]().next()).value as SubscriptionItem;
    assert.equal(first.kind, 'representation');
    if (first.kind !== 'representation') return;
    assert.equal(first.events.expires, seconds);
    assert.equal(
      first.events.expiresAt?.getTime(),
      Date.parse(recording.headers.date!) + seconds * 1000,
    );
    sub.close();
  }
});

test('RSP-4 RSP-7 body errors are the same at every chunk boundary: NOT_DIGEST, STREAM_MALFORMED, NETWORK', async () => {
  const M = 'MM';
  const D = 'DD';
  const head = {
    'content-type': `multipart/mixed; boundary="${M}"`,
    events: 'protocol="prep", status=200, expires=60',
  };
  const part1 = `--${M}\r\nContent-Type: text/plain\r\n\r\nhi\r\n`;
  const digestHead = `--${M}\r\nContent-Type: multipart/digest; boundary="${D}"\r\n\r\n--${D}`;
  const cases: Array<[string, string]> = [
    [
      `${part1}--${M}\r\nContent-Type: text/plain\r\n\r\nnot a digest\r\n--${M}--\r\n`,
      'NOT_DIGEST',
    ],
    [`${part1}--${M}--\r\n`, 'NOT_DIGEST'],
    [`${part1}${digestHead}\r\nno colon\r\n\r\nx\r\n--${D}--\r\n--${M}--\r\n`, 'STREAM_MALFORMED'],
    // After a part, a delimiter must be followed by a line break or `--`.
    [
      `${part1}${digestHead}\r\n\r\nMethod: PUT\r\nDate: Tue, 24 Nov 2026 01:00:01 GMT\r\nEvent-ID: 1\r\n\r\n\r\n--${D}XX`,
      'STREAM_MALFORMED',
    ],
    // Cut short: no close delimiters (the connection dropped), with reconnecting off.
    [
      `${part1}${digestHead}\r\n\r\nMethod: PUT\r\nDate: Tue, 24 Nov 2026 01:00:01 GMT\r\nEvent-ID: 1\r\n\r\n`,
      'NETWORK',
    ],
  ];
  for (const [body, code] of cases) {
    for (const chunks of twoWaySplits(new TextEncoder().encode(body))) {
      const { fetch } = fakeFetch(() => responseOf({ headers: head }, chunks));
      await assert.rejects(
        collect(subscribe('http://localhost/doc', { fetch, reconnect: false })),
        (e: unknown) => e instanceof PrepSubscribeError && e.code === code,
        `${code} cut at ${chunks[0]?.length}`,
      );
    }
  }
});
