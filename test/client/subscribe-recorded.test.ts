// subscribe() against recorded byte streams, served by a fake fetch and cut at every
// chunk boundary: whatever the chunking, the same items come out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PrepSubscribeError, subscribe, type SubscriptionItem } from '../../src/client/index.js';
import { draft00, draftFigureLf, expressPrep, jsonLd, ourServer } from './fixtures.js';
import {
  bodyOf,
  collect,
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

test('RSP-4 N822-1 yields other notification formats as raw parts; preamble, keep-alive, epilogue; a broken rfc822 part', async () => {
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
    {
      kind: 'part',
      type: 'message/rfc822',
      raw: 'Method: PUT\r\nDate: Thu, 07 Nov 2024 14:20:00 GMT\r\n\r\n',
      error: 'NOTIFICATION_INVALID',
    },
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
