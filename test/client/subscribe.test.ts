// subscribe() with a fake fetch: promptness, the request it sends, response validation,
// and when and how it reconnects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, parseRetryAfter } from '../../packages/client/src/client/backoff.js';
import {
  PrepSubscribeError,
  checkPrepResponse,
  serializePrepAccept,
  subscribe,
  type SubscriptionItem,
} from '../../packages/client/src/client/index.js';
import { ourServer } from './fixtures.js';
import {
  bodyOf,
  collect,
  controlledBody,
  fakeFetch,
  octets,
  plain,
  responseOf,
  type Recording,
} from './helpers.js';

const URL_ = 'http://localhost/doc';
const M = 'mixed-b';
const D = 'digest-b';
const HEAD = {
  'content-type': `multipart/mixed; boundary="${M}"`,
  date: 'Tue, 24 Nov 2026 01:00:00 GMT',
  events: 'protocol="prep", status=200, expires=3600',
};
const part1 = (body: string, etag = '"e0"') =>
  `--${M}\r\nContent-Type: application/json\r\nETag: ${etag}\r\n\r\n${body}\r\n--${M}\r\nContent-Type: multipart/digest; boundary="${D}"\r\n\r\n--${D}`;
const note = (method: string, id: string, extra = '') =>
  `\r\n\r\nMethod: ${method}\r\nDate: Tue, 24 Nov 2026 01:00:01 GMT\r\nEvent-ID: ${id}\r\n${extra}\r\n\r\n--${D}`;
const CLOSE = `--\r\n--${M}--\r\n`;
const KEEP_ALIVE = `\r\n\r\n\r\n--${D}`;

/** A recording of a whole stream. */
const stream = (...chunks: string[]): Recording => ({ headers: HEAD, chunks });
const replay = (r: Recording) => responseOf(r, r.chunks.map(octets));

async function rejects(
  items: AsyncIterable<SubscriptionItem>,
  code: string,
  status?: number,
): Promise<PrepSubscribeError> {
  let caught: unknown;
  try {
    await collect(items);
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught instanceof PrepSubscribeError,
    `expected a PrepSubscribeError, got ${String(caught)}`,
  );
  assert.equal(caught.code, code);
  if (status !== undefined) assert.equal(caught.status, status);
  return caught;
}

// ---------------------------------------------------------------------------------------
// Promptness

test('RSP-6 yields each notification as soon as its closing delimiter arrives, before any later byte', async () => {
  const body = controlledBody();
  const { fetch } = fakeFetch(() => new Response(body.stream, { headers: HEAD }));
  const it = subscribe(URL_, { fetch, reconnect: false })[Symbol.asyncIterator]();
  body.push(part1('{"a":1}'));
  const rep = await it.next();
  assert.equal(rep.value?.kind, 'representation');
  // The first notification, up to and including its delimiter `--D` (no CRLF after it).
  body.push(note('PUT', '1'));
  const first = await it.next();
  assert.deepEqual(plain(first.value as SubscriptionItem), {
    kind: 'notification',
    method: 'PUT',
    date: '2026-11-24T01:00:01.000Z',
    eventId: '1',
  });
  // A keep-alive yields nothing; the next notification does.
  body.push(KEEP_ALIVE);
  const pending = it.next();
  let settled = false;
  void pending.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, 'a keep-alive is not an item');
  body.push(note('PATCH', '2'));
  assert.equal(((await pending).value as { eventId: string }).eventId, '2');
  body.push(CLOSE);
  body.close();
  assert.deepEqual(plain((await it.next()).value as SubscriptionItem), {
    kind: 'end',
    reason: 'expired',
  });
  assert.equal((await it.next()).done, true);
});

// ---------------------------------------------------------------------------------------
// The request

test('REQ-1 MTH-3 sends GET with Accept-Events listing prep, the formats, the delta, and extra headers', async () => {
  const { fetch, requests } = fakeFetch(() => replay(stream(part1('{}'), CLOSE)));
  await collect(
    subscribe(URL_, {
      fetch,
      reconnect: false,
      delta: 'application/json-patch+json',
      headers: { Authorization: 'Bearer t' },
    }),
  );
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.method, 'GET');
  assert.equal(
    requests[0]!.headers.get('accept-events'),
    '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
  );
  assert.equal(requests[0]!.headers.get('authorization'), 'Bearer t');
  assert.equal(requests[0]!.headers.get('last-event-id'), null);
});

test('REQ-1 HDR-2 serializes the accept event field: one type as a string, more as a list', () => {
  assert.equal(serializePrepAccept(), '"prep";accept="message/rfc822"');
  assert.equal(
    serializePrepAccept({ accept: ['message/rfc822', 'application/ld+json'] }),
    '"prep";accept=("message/rfc822" "application/ld+json")',
  );
  assert.equal(
    serializePrepAccept({
      accept: ['application/ld+json;q=0.5', 'message/rfc822'],
      delta: 'text/plain',
    }),
    '"prep";accept=("application/ld+json";q=0.5 "message/rfc822";delta="text/plain")',
  );
});

test('REQ-2 RSP-5 sends the lastEventId option; an empty part 1 then reads as omitted', async () => {
  const { fetch, requests } = fakeFetch(() => replay(stream(part1(''), note('PUT', '8'), CLOSE)));
  const items = (await collect(subscribe(URL_, { fetch, reconnect: false, lastEventId: '7' }))).map(
    plain,
  );
  assert.equal(requests[0]!.headers.get('last-event-id'), '7');
  assert.equal(items[0]!.omitted, true);
  assert.equal(items[0]!.body, '');
  assert.equal(items[1]!.eventId, '8');
});

// ---------------------------------------------------------------------------------------
// Validation (HDR-5, HDR-6, ERR-2..4)

test('HDR-5 a 2xx response without Events: the server ignored Accept-Events (EVENTS_ABSENT)', async () => {
  const { fetch } = fakeFetch(
    () => new Response('{"a":1}', { headers: { 'content-type': 'application/json' } }),
  );
  await rejects(subscribe(URL_, { fetch }), 'EVENTS_ABSENT', 200);
});

test('DSC-3 an Accept-Events advertisement is no promise: advertised but not served is EVENTS_ABSENT', async () => {
  const { fetch, requests } = fakeFetch(
    () =>
      new Response('{}', {
        headers: {
          'content-type': 'application/json',
          'accept-events': '"prep";accept="message/rfc822"',
        },
      }),
  );
  // No discovery request first (a client MAY ask without having seen Accept-Events).
  await rejects(subscribe(URL_, { fetch }), 'EVENTS_ABSENT');
  assert.equal(requests.length, 1, 'not retried');
});

test('HDR-6 Events on a response to a request without Accept-Events is invalid (EVENTS_UNSOLICITED)', () => {
  const response = replay(stream(part1('{}'), CLOSE));
  assert.throws(
    () => checkPrepResponse(response, { requestedPrep: false }),
    (e: unknown) => e instanceof PrepSubscribeError && e.code === 'EVENTS_UNSOLICITED',
  );
});

test('HDR-6 an Events field that does not parse, or names another protocol, is not processed', async () => {
  for (const [events, code] of [
    ['protocol="prep", status=', 'EVENTS_UNPARSABLE'],
    ['status=200', 'EVENTS_UNPARSABLE'],
    ['protocol="prep"', 'EVENTS_UNPARSABLE'],
    ['protocol="solid", status=200', 'EVENTS_PROTOCOL'],
  ] as const) {
    const { fetch, requests } = fakeFetch(() =>
      responseOf({ headers: { ...HEAD, events } }, [octets(part1('{}') + CLOSE)]),
    );
    await rejects(subscribe(URL_, { fetch }), code);
    assert.equal(requests.length, 1, `${events}: not retried`);
  }
});

test('ERR-2 ERR-3 ERR-4 an Events status other than 200 is EVENTS_STATUS with that status; the HTTP status stays', async () => {
  for (const status of [412, 406, 403, 500]) {
    const { fetch, requests } = fakeFetch(
      () =>
        new Response('{}', {
          status: 200,
          headers: {
            'content-type': 'application/json',
            events: `protocol="prep", status=${status}`,
          },
        }),
    );
    await rejects(subscribe(URL_, { fetch }), 'EVENTS_STATUS', status);
    assert.equal(requests.length, 1, `${status}: no reconnect`);
  }
});

test('ERR-2 a non-2xx HTTP status is HTTP_STATUS with that status, and a 4xx is not retried', async () => {
  for (const status of [404, 401, 410]) {
    const { fetch, requests } = fakeFetch(
      () =>
        new Response('nope', {
          status,
          headers: { events: 'protocol="prep", status=412' },
        }),
    );
    await rejects(subscribe(URL_, { fetch }), 'HTTP_STATUS', status);
    assert.equal(requests.length, 1);
  }
});

test('RSP-1 a body that is not multipart is NOT_MULTIPART; a part 2 that is not multipart is NOT_DIGEST', async () => {
  for (const contentType of [
    'application/json',
    'multipart/mixed',
    'multipart/form-data; boundary=x',
  ]) {
    const { fetch } = fakeFetch(() =>
      responseOf({ headers: { ...HEAD, 'content-type': contentType } }, [octets('{}')]),
    );
    await rejects(subscribe(URL_, { fetch }), 'NOT_MULTIPART');
  }
  const noDigest = `--${M}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--${M}\r\nContent-Type: text/plain\r\n\r\nnot a digest\r\n--${M}--\r\n`;
  const { fetch } = fakeFetch(() => replay(stream(noDigest)));
  await rejects(subscribe(URL_, { fetch, reconnect: false }), 'NOT_DIGEST');
  const onlyPart1 = `--${M}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--${M}--\r\n`;
  const second = fakeFetch(() => replay(stream(onlyPart1)));
  await rejects(subscribe(URL_, { fetch: second.fetch, reconnect: false }), 'NOT_DIGEST');
});

test('RSP-4 a body that does not parse is STREAM_MALFORMED, and is not retried', async () => {
  const { fetch, requests } = fakeFetch(() =>
    replay(stream(part1('{}'), '\r\nno colon here\r\n\r\nx\r\n--' + D)),
  );
  await rejects(subscribe(URL_, { fetch }), 'STREAM_MALFORMED');
  assert.equal(requests.length, 1);
});

// ---------------------------------------------------------------------------------------
// Reconnecting

test('RSP-7 REQ-2 reconnects when the stream expires, with Last-Event-ID of the last event; an omitted representation is not yielded again', async () => {
  const { fetch, requests } = fakeFetch((_, i) =>
    i === 0
      ? replay(stream(part1('{"v":1}'), note('PUT', '1'), note('PATCH', '2'), CLOSE))
      : replay(stream(part1(''), note('PUT', '3'), note('DELETE', '4'), CLOSE)),
  );
  const items = (await collect(subscribe(URL_, { fetch, reconnect: { minDelayMs: 1 } }))).map(
    plain,
  );
  assert.deepEqual(
    items.map((i) => [i.kind, i.eventId ?? i.reason ?? i.body]),
    [
      ['representation', '{"v":1}'],
      ['notification', '1'],
      ['notification', '2'],
      ['reconnect', 'expired'],
      ['notification', '3'],
      ['notification', '4'],
      ['end', 'deleted'],
    ],
  );
  assert.deepEqual(items[3], {
    kind: 'reconnect',
    attempt: 1,
    reason: 'expired',
    lastEventId: '2',
  });
  assert.equal(requests[1]!.headers.get('last-event-id'), '2');
  assert.equal(requests.length, 2, 'no reconnect after the DELETE');
});

test('RSP-4 RSP-5 onConnect reports every accepted response, the omitted representation of a reconnect too', async () => {
  const { fetch } = fakeFetch((_, i) =>
    i === 0
      ? replay(stream(part1('{"v":1}'), note('PUT', '1'), CLOSE))
      : i === 1
        ? new Response('', { status: 503, headers: { 'retry-after': '0' } })
        : replay(stream(part1(''), note('DELETE', '2'), CLOSE)),
  );
  const connects: Array<[boolean, string | null]> = [];
  const order: string[] = [];
  const sub = subscribe(URL_, {
    fetch,
    reconnect: { minDelayMs: 1 },
    onConnect: (r) => {
      connects.push([r.omitted, r.headers.get('etag')]);
      order.push('connect');
    },
  });
  for await (const item of sub) order.push(item.kind);
  // Two responses accepted (the 503 is not one); the second's body was omitted (RSP-5).
  assert.deepEqual(connects, [
    [false, '"e0"'],
    [true, '"e0"'],
  ]);
  assert.deepEqual(order, [
    'connect',
    'representation',
    'notification',
    'reconnect',
    'reconnect',
    'connect',
    'notification',
    'end',
  ]);
});

test('RSP-5 on reconnect a representation that is sent again (not omitted) is yielded again', async () => {
  const { fetch } = fakeFetch((_, i) =>
    i === 0
      ? replay(stream(part1('{"v":1}'), note('PUT', '1'), CLOSE))
      : replay(stream(part1('{"v":2}'), note('DELETE', '2'), CLOSE)),
  );
  const items = (await collect(subscribe(URL_, { fetch, reconnect: { minDelayMs: 1 } }))).map(
    plain,
  );
  assert.deepEqual(
    items.filter((i) => i.kind === 'representation').map((i) => [i.body, i.omitted]),
    [
      ['{"v":1}', false],
      ['{"v":2}', false],
    ],
  );
});

test('RSP-7 a DELETE about another resource (Content-Location) does not end the subscription', async () => {
  const { fetch, requests } = fakeFetch(() =>
    replay(stream(part1('{}'), note('DELETE', '1', 'Content-Location: /doc/member\r\n'), CLOSE)),
  );
  const items = (await collect(subscribe(URL_, { fetch, reconnect: false }))).map(plain);
  assert.deepEqual(items.at(-1), { kind: 'end', reason: 'expired' });
  assert.equal(requests.length, 1);
  const self = fakeFetch(() =>
    replay(stream(part1('{}'), note('DELETE', '1', 'Content-Location: /doc\r\n'), CLOSE)),
  );
  const own = (await collect(subscribe(URL_, { fetch: self.fetch }))).map(plain);
  assert.deepEqual(own.at(-1), { kind: 'end', reason: 'deleted' });
});

test('RSP-7 the connection dropping right after a DELETE ends the subscription too', async () => {
  const { fetch, requests } = fakeFetch(() =>
    responseOf({ headers: HEAD }, [octets(part1('{}') + note('DELETE', '9'))], {
      error: new TypeError('terminated'),
    }),
  );
  const items = (await collect(subscribe(URL_, { fetch }))).map(plain);
  assert.deepEqual(items.at(-1), { kind: 'end', reason: 'deleted' });
  assert.equal(requests.length, 1);
});

test('REQ-2 reconnects after the connection drops mid-stream or the body is cut short, and after a network error', async () => {
  const { fetch, requests } = fakeFetch((_, i) => {
    if (i === 0)
      return responseOf({ headers: HEAD }, [octets(part1('{}') + note('PUT', '1'))], {
        error: new TypeError('terminated'),
      });
    if (i === 1) throw new TypeError('fetch failed');
    if (i === 2) return replay(stream(part1(''), note('PUT', '2'))); // ends without close delimiters
    return replay(stream(part1(''), note('DELETE', '3'), CLOSE));
  });
  const items = await collect(
    subscribe(URL_, { fetch, reconnect: { minDelayMs: 1, maxDelayMs: 4 } }),
  );
  const reconnects = items.filter((i) => i.kind === 'reconnect');
  assert.deepEqual(
    reconnects.map((r) => [r.attempt, r.reason, r.lastEventId]),
    [
      [1, 'dropped', '1'],
      [2, 'dropped', '1'],
      [1, 'dropped', '2'],
    ],
  );
  for (const r of reconnects) {
    assert.ok(r.error instanceof PrepSubscribeError && r.error.code === 'NETWORK');
    assert.ok(r.delay >= 0 && r.delay <= 4);
  }
  assert.deepEqual(
    requests.map((r) => r.headers.get('last-event-id')),
    [null, '1', '1', '2'],
  );
  assert.deepEqual(plain(items.at(-1)!), { kind: 'end', reason: 'deleted' });
});

test('ERR-3 honours Retry-After on Events status 503 and 429, then retries', async () => {
  const { fetch, requests } = fakeFetch((_, i) => {
    if (i < 2) {
      return new Response('{}', {
        headers: {
          'content-type': 'application/json',
          events: `protocol="prep", status=${i === 0 ? 503 : 429}`,
          'retry-after': '0',
        },
      });
    }
    return replay(stream(part1('{}'), note('DELETE', '1'), CLOSE));
  });
  // A huge backoff: only Retry-After can make these attempts quick.
  const items = await collect(subscribe(URL_, { fetch, reconnect: { minDelayMs: 600_000 } }));
  const reconnects = items.filter((i) => i.kind === 'reconnect');
  assert.deepEqual(
    reconnects.map((r) => [r.attempt, r.reason, r.delay, (r.error as PrepSubscribeError).status]),
    [
      [1, 'unavailable', 0, 503],
      [2, 'unavailable', 0, 429],
    ],
  );
  assert.equal(requests.length, 3);
});

test('ERR-3 without reconnecting, a 429 Events status is thrown with its Retry-After', async () => {
  const { fetch } = fakeFetch(
    () =>
      new Response('{}', {
        headers: {
          'content-type': 'application/json',
          events: 'protocol="prep", status=429',
          'retry-after': '7',
        },
      }),
  );
  const e = await rejects(subscribe(URL_, { fetch, reconnect: false }), 'EVENTS_STATUS', 429);
  assert.equal(e.retryAfterMs, 7000);
});

test('REQ-2 a 5xx HTTP status is retried; retries run out with the last error', async () => {
  const { fetch, requests } = fakeFetch(() => new Response('down', { status: 502 }));
  await rejects(
    subscribe(URL_, { fetch, reconnect: { retries: 3, minDelayMs: 1 } }),
    'HTTP_STATUS',
    502,
  );
  assert.equal(requests.length, 4);
});

test('RSP-7 with reconnect off, an expired stream ends with end: expired and a drop throws NETWORK', async () => {
  const expired = fakeFetch(() => replay(stream(part1('{}'), CLOSE)));
  const items = (await collect(subscribe(URL_, { fetch: expired.fetch, reconnect: false }))).map(
    plain,
  );
  assert.deepEqual(items.at(-1), { kind: 'end', reason: 'expired' });
  const dropped = fakeFetch(() => replay(stream(part1('{}'))));
  await rejects(subscribe(URL_, { fetch: dropped.fetch, reconnect: false }), 'NETWORK');
});

test('REQ-2 the backoff grows with full jitter, is capped, and starts over after a working connection', async () => {
  assert.equal(
    backoffDelay(1, {}, () => 1),
    500,
  );
  assert.equal(
    backoffDelay(3, {}, () => 1),
    2000,
  );
  assert.equal(
    backoffDelay(30, {}, () => 1),
    30_000,
  );
  assert.equal(
    backoffDelay(4, { minDelayMs: 10, maxDelayMs: 1000 }, () => 0.5),
    40,
  );
  assert.equal(
    backoffDelay(2, {}, () => 0),
    0,
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(5, { minDelayMs: 10, maxDelayMs: 100 });
    assert.ok(d >= 0 && d <= 100);
  }
  assert.equal(parseRetryAfter('120'), 120_000);
  assert.equal(
    parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:30Z')),
    30_000,
  );
  assert.equal(parseRetryAfter('soon'), undefined);

  // Attempts count up while failing, and start at 1 again once a connection works.
  const { fetch } = fakeFetch((_, i) => {
    if (i === 0 || i === 1) throw new TypeError('fetch failed');
    if (i === 2) return replay(stream(part1('{}'), CLOSE));
    if (i === 3) throw new TypeError('fetch failed');
    return replay(stream(part1('{}'), note('DELETE', '1'), CLOSE));
  });
  const items = await collect(
    subscribe(URL_, { fetch, reconnect: { minDelayMs: 1, maxDelayMs: 2 } }),
  );
  assert.deepEqual(
    items.filter((i) => i.kind === 'reconnect').map((r) => [r.attempt, r.reason]),
    [
      [1, 'dropped'],
      [2, 'dropped'],
      [1, 'expired'],
      [2, 'dropped'],
    ],
  );
});

test('RSP-8 close() ends a pending read with end: closed and aborts the request; so does the signal', async () => {
  const body = controlledBody();
  const { fetch } = fakeFetch(() => new Response(body.stream, { headers: HEAD }));
  const sub = subscribe(URL_, { fetch });
  const it = sub[Symbol.asyncIterator]();
  body.push(part1('{}'));
  assert.equal((await it.next()).value?.kind, 'representation');
  const pending = it.next();
  setTimeout(() => sub.close(), 10);
  assert.deepEqual(plain((await pending).value as SubscriptionItem), {
    kind: 'end',
    reason: 'closed',
  });
  assert.equal((await it.next()).done, true);
  assert.equal(sub.closed, true);

  // An aborted signal; and one that aborts during the backoff.
  const controller = new AbortController();
  const failing = fakeFetch(() => {
    throw new TypeError('fetch failed');
  });
  const later = subscribe(URL_, {
    fetch: failing.fetch,
    signal: controller.signal,
    reconnect: { minDelayMs: 60_000 },
  });
  const seen: string[] = [];
  for await (const item of later) {
    seen.push(item.kind);
    if (item.kind === 'reconnect') controller.abort();
  }
  assert.deepEqual(seen, ['reconnect', 'end']);
  const gone = subscribe(URL_, { fetch: failing.fetch, signal: AbortSignal.abort() });
  assert.deepEqual((await collect(gone)).map(plain), [{ kind: 'end', reason: 'closed' }]);
});

test('RSP-8 breaking out of the loop cancels the stream', async () => {
  let cancelled = false;
  const { fetch } = fakeFetch(() => {
    const chunks = [octets(part1('{}')), octets(note('PUT', '1'))];
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const chunk = chunks[i++];
        if (chunk) c.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, { headers: HEAD });
  });
  for await (const item of subscribe(URL_, { fetch })) if (item.kind === 'notification') break;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(cancelled, true);
});

test('RSP-4 reads a recording after a reconnect the same way as the first time', async () => {
  const { fetch } = fakeFetch((_, i) =>
    i === 0 ? replay(stream(part1('{}'), CLOSE)) : responseOf(ourServer, [bodyOf(ourServer)]),
  );
  const items = (await collect(subscribe(URL_, { fetch, reconnect: { minDelayMs: 1 } }))).map(
    plain,
  );
  assert.deepEqual(
    items.map((i) => i.kind),
    [
      'representation',
      'reconnect',
      'representation',
      'notification',
      'notification',
      'notification',
      'notification',
      'end',
    ],
  );
});
