import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import {
  parseNotification,
  readNotification,
  serializeNotification,
  type Notification,
} from '../../packages/client/src/core/notification.js';

const enc = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const at = (h: number, m: number, s: number) => new Date(Date.UTC(2023, 3, 1, h, m, s));

test('N822-4 N822-5 N822-7 the draft PUT example, byte for byte', () => {
  const bytes = serializeNotification({
    method: 'PUT',
    date: at(10, 11, 12),
    eventId: '1234',
    etag: '"abc123"',
  });
  assert.equal(
    text(bytes),
    'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1234\r\nETag: "abc123"\r\n\r\n',
  );
});

test('N822-4 N822-6 N822-7 the draft POST example, byte for byte', () => {
  const bytes = serializeNotification({
    method: 'POST',
    date: at(10, 12, 14),
    eventId: '1235',
    contentLocation: '/foo',
  });
  assert.equal(
    text(bytes),
    'Method: POST\r\nDate: Sat, 01 Apr 2023 10:12:14 GMT\r\nEvent-ID: 1235\r\nContent-Location: /foo\r\n\r\n',
  );
});

test('N822-8 the draft PATCH example: Content-Type inside the message, then the delta', () => {
  const bytes = serializeNotification({
    method: 'PATCH',
    date: at(10, 14, 16),
    eventId: '1236',
    etag: '"xyz987"',
    delta: { contentType: 'application/example', body: enc.encode('<delta>') },
  });
  assert.equal(
    text(bytes),
    'Method: PATCH\r\nDate: Sat, 01 Apr 2023 10:14:16 GMT\r\nEvent-ID: 1236\r\nETag: "xyz987"\r\n' +
      'Content-Type: application/example\r\n\r\n<delta>',
  );
});

test('N822-5 N822-6 N822-8 header order: ETag, Content-Location, extras, Content-Type', () => {
  const bytes = serializeNotification({
    method: 'POST',
    date: at(0, 0, 0),
    eventId: 'e-1',
    etag: 'W/"v2"',
    contentLocation: '/items/7',
    extraHeaders: [['Link', '</a>; rel="up"']],
    delta: { contentType: 'application/merge-patch+json', body: enc.encode('{"a":1}') },
  });
  assert.equal(
    text(bytes),
    'Method: POST\r\nDate: Sat, 01 Apr 2023 00:00:00 GMT\r\nEvent-ID: e-1\r\nETag: W/"v2"\r\n' +
      'Content-Location: /items/7\r\nLink: </a>; rel="up"\r\n' +
      'Content-Type: application/merge-patch+json\r\n\r\n{"a":1}',
  );
});

test('N822-7 no delta, no body: the message ends with the blank line', () => {
  const bytes = serializeNotification({ method: 'DELETE', date: at(1, 2, 3), eventId: '9' });
  assert.ok(text(bytes).endsWith('Event-ID: 9\r\n\r\n'));
  assert.equal(parseNotification(bytes).delta, undefined);
});

test('N822-4 N822-5 N822-6 N822-8 parse the draft examples as written (LF, E-tag, loose date)', () => {
  const put = parseNotification(
    enc.encode(
      'Method: PUT\nDate: Sat, 1 April 2023 10:11:12 GMT\nEvent-ID: 1234\nETag: "abc123"\n\n',
    ),
  );
  assert.deepEqual(put, { method: 'PUT', date: at(10, 11, 12), eventId: '1234', etag: '"abc123"' });

  const post = parseNotification(
    enc.encode(
      'Method: POST\nDate: Sat, 1 April 2023 10:12:14 GMT\nEvent-ID: 1235\nContent-Location: /foo\n\n',
    ),
  );
  assert.deepEqual(post, {
    method: 'POST',
    date: at(10, 12, 14),
    eventId: '1235',
    contentLocation: '/foo',
  });

  const patch = parseNotification(
    enc.encode(
      'Method: PATCH\nDate: Sat, 1 April 2023 10:14:16 GMT\nEvent-ID: 1236\nE-tag: xyz987\n' +
        'Content-type: application/example\n\n<delta>',
    ),
  );
  assert.deepEqual(patch, {
    method: 'PATCH',
    date: at(10, 14, 16),
    eventId: '1236',
    etag: 'xyz987',
    delta: { contentType: 'application/example', body: enc.encode('<delta>') },
  });
});

test('N822-4 parse is liberal: any case, folding, unknown headers kept in order, no final blank line', () => {
  const n = parseNotification(
    enc.encode(
      'METHOD:PUT\r\nx-trace:  a\r\n\tb\r\ndate: Sat, 01 Apr 2023 10:11:12 GMT\r\nnot a header\r\n' +
        'event-id: 7\r\nLocation: /x',
    ),
  );
  assert.deepEqual(n, {
    method: 'PUT',
    date: at(10, 11, 12),
    eventId: '7',
    extraHeaders: [
      ['x-trace', 'a b'],
      ['Location', '/x'],
    ],
  });
});

test('N822-7 N822-8 a body without Content-Type is text/plain (RFC 2045); bare line ends are no body', () => {
  const head = 'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1\r\n\r\n';
  assert.equal(parseNotification(enc.encode(head + '\r\n')).delta, undefined);
  assert.deepEqual(parseNotification(enc.encode(head + 'x')).delta, {
    contentType: 'text/plain',
    body: enc.encode('x'),
  });
});

test('N822-4 a missing or unusable Method, Date or Event-ID is NOTIFICATION_INVALID', () => {
  const date = 'Date: Sat, 01 Apr 2023 10:11:12 GMT\r\n';
  for (const message of [
    date + 'Event-ID: 1\r\n\r\n',
    'Method: PUT\r\nEvent-ID: 1\r\n\r\n',
    'Method: PUT\r\n' + date + '\r\n',
    'Method: PUT\r\nDate: soon\r\nEvent-ID: 1\r\n\r\n',
    'Method: PUT\r\n' + date + 'Event-ID:\r\n\r\n',
    '\r\nMethod: PUT\r\n' + date + 'Event-ID: 1\r\n\r\n',
    '',
  ]) {
    assert.throws(
      () => parseNotification(enc.encode(message)),
      (e) => isPrepError(e, 'NOTIFICATION_INVALID'),
      JSON.stringify(message),
    );
  }
});

test('N822-4 readNotification takes a notification without Event-ID (node-solid-server), still not one without Method or Date', () => {
  const date = 'Date: Mon, 07 Dec 2026 19:39:48 GMT\r\n';
  const nss = readNotification(enc.encode(`Method: DELETE\r\n${date}\r\n`));
  assert.deepEqual(nss, { method: 'DELETE', date: new Date(Date.UTC(2026, 11, 7, 19, 39, 48)) });
  assert.equal(
    readNotification(enc.encode(`Method: PUT\r\n${date}Event-ID:\r\n\r\n`)).eventId,
    undefined,
  );
  const full = readNotification(
    enc.encode(`Method: PUT\r\n${date}Event-ID: 7\r\nLocation: /x\r\n\r\n`),
  );
  assert.deepEqual(full, {
    ...nss,
    method: 'PUT',
    eventId: '7',
    extraHeaders: [['Location', '/x']],
  });
  for (const message of [
    date + '\r\n',
    'Method: PUT\r\n\r\n',
    'Method: PUT\r\nDate: soon\r\n\r\n',
    '',
  ]) {
    assert.throws(
      () => readNotification(enc.encode(message)),
      (e) => isPrepError(e, 'NOTIFICATION_INVALID'),
      JSON.stringify(message),
    );
  }
});

test('N822-4 header injection and invalid values are refused with NOTIFICATION_HEADER', () => {
  const ok: Notification = { method: 'PUT', date: at(10, 11, 12), eventId: '1' };
  const bad: Notification[] = [
    { ...ok, method: 'PUT\r\nX-Evil: 1' },
    { ...ok, method: 'P UT' },
    { ...ok, method: '' },
    { ...ok, eventId: '1\r\nMethod: DELETE' },
    { ...ok, eventId: '1\nx' },
    { ...ok, eventId: '1\rx' },
    { ...ok, eventId: 'a\u0000b' },
    { ...ok, eventId: '' },
    { ...ok, eventId: ' 1' },
    { ...ok, eventId: '1 ' },
    { ...ok, eventId: 'caf\u00e9' },
    { ...ok, etag: '"abc"\r\nX: y' },
    { ...ok, etag: 'abc' },
    { ...ok, etag: '"a"b"' },
    { ...ok, contentLocation: '/a b' },
    { ...ok, contentLocation: '/a\r\n\r\nbody' },
    { ...ok, contentLocation: '' },
    { ...ok, date: new Date(Number.NaN) },
    { ...ok, delta: { contentType: 'text/plain\r\n\r\ninjected', body: new Uint8Array() } },
    { ...ok, delta: { contentType: 'text', body: new Uint8Array() } },
    { ...ok, delta: { contentType: 'text/plain; x=\u0001', body: new Uint8Array() } },
    { ...ok, extraHeaders: [['X-A\r\nB', 'v']] },
    { ...ok, extraHeaders: [['X-A:', 'v']] },
    { ...ok, extraHeaders: [['X-A', 'v\r\nMethod: DELETE']] },
    { ...ok, extraHeaders: [['event-id', '2']] },
    { ...ok, extraHeaders: [['Content-Type', 'text/plain']] },
  ];
  for (const n of bad) {
    assert.throws(
      () => serializeNotification(n),
      (e) => isPrepError(e, 'NOTIFICATION_HEADER'),
      JSON.stringify(n),
    );
  }
});

// Arbitraries for values serializeNotification accepts.
const TOKEN_CHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const vchar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const fieldValue = fc
  .tuple(
    vchar,
    fc.string({ unit: fc.oneof(vchar, fc.constantFrom(' ', '\t')), maxLength: 20 }),
    vchar,
  )
  .map(([a, mid, z]) => a + mid + z)
  .chain((v) => fc.constantFrom(v, v[0]!));
const etagc = fc
  .integer({ min: 0x21, max: 0x7e })
  .filter((c) => c !== 0x22)
  .map((c) => String.fromCharCode(c));
const etag = fc
  .tuple(fc.boolean(), fc.string({ unit: etagc, maxLength: 16 }))
  .map(([weak, v]) => `${weak ? 'W/' : ''}"${v}"`);
const KNOWN = new Set([
  'method',
  'date',
  'event-id',
  'etag',
  'e-tag',
  'content-location',
  'content-type',
]);
const notification: fc.Arbitrary<Notification> = fc
  .record(
    {
      method: token,
      date: fc
        .integer({
          min: Date.parse('0000-01-01T00:00:00Z') / 1000,
          max: Date.parse('9999-12-31T23:59:59Z') / 1000,
        })
        .map((s) => new Date(s * 1000)),
      eventId: fieldValue,
      etag,
      contentLocation: fc.string({ unit: vchar, minLength: 1, maxLength: 30 }),
      delta: fc.record({
        contentType: fc.constantFrom(
          'application/json-patch+json',
          'application/merge-patch+json',
          'text/plain; charset=utf-8',
          'text/x-diff',
        ),
        body: fc.uint8Array({ maxLength: 64 }),
      }),
      extraHeaders: fc.array(
        fc.tuple(
          token.filter((t) => !KNOWN.has(t.toLowerCase())),
          fieldValue,
        ),
        { minLength: 1, maxLength: 4 },
      ),
    },
    { requiredKeys: ['method', 'date', 'eventId'] },
    // fc.record builds null-prototype objects; parse returns plain ones.
  )
  .map((n) => ({ ...n, ...(n.delta === undefined ? {} : { delta: { ...n.delta } }) }));

test('N822-4 N822-5 N822-6 N822-7 N822-8 parseNotification(serializeNotification(n)) equals n', () => {
  fc.assert(
    fc.property(notification, (n) => {
      assert.deepStrictEqual(parseNotification(serializeNotification(n)), n);
    }),
    { numRuns: 1000 },
  );
});

test('N822-4 parse keeps the first of repeated known headers and copies the body', () => {
  const bytes = enc.encode(
    'Method: PUT\r\nMethod: DELETE\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1\r\n' +
      'Content-Type: text/plain\r\n\r\nabc',
  );
  const n = parseNotification(bytes);
  assert.equal(n.method, 'PUT');
  bytes.fill(0);
  assert.equal(text(n.delta!.body), 'abc'); // not a view on the input buffer
});
