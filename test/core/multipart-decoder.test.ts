import { INTRODUCTION, wire } from './draft-examples.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import {
  containsDelimiter,
  createMultipartEncoder,
  defaultPartContentType,
  encodeDigestPart,
  encodeKeepAlive,
  encodeMultipartDocument,
  encodePrepClose,
  encodePrepHead,
  MultipartError,
  parseMultipart,
  type MultipartErrorCode,
  type MultipartPart,
  type PrepBoundaries,
} from '../../packages/client/src/core/multipart/index.js';

// ---------------------------------------------------------------------------------------
// Helpers

const utf8 = new TextEncoder();
const bytes = (s: string): Uint8Array => utf8.encode(s);
/** Latin-1 bytes, so tests can write any octet with \xNN. */
const octets = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A stream that hands out `chunks` one per pull (copies, so the parser may keep views). */
function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk.slice());
      else controller.close();
    },
  });
}

function split(all: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, all.length]) {
    if (p > from) out.push(all.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

function bytewise(all: Uint8Array): Uint8Array[] {
  return Array.from(all, (_, i) => all.subarray(i, i + 1));
}

/** A stream whose chunks and end the test writes by hand. */
function controlled(): {
  stream: ReadableStream<Uint8Array>;
  push(chunk: Uint8Array | string): void;
  close(): void;
  error(err: unknown): void;
  cancelled: Promise<unknown>;
  pulls(): number;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let onCancel!: (reason: unknown) => void;
  let pulls = 0;
  const cancelled = new Promise<unknown>((resolve) => (onCancel = resolve));
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      pulls++;
    },
    cancel(reason) {
      onCancel(reason);
    },
  });
  return {
    stream,
    push: (chunk) => controller.enqueue(typeof chunk === 'string' ? bytes(chunk) : chunk),
    close: () => controller.close(),
    error: (err) => controller.error(err),
    cancelled,
    pulls: () => pulls,
  };
}

/** Fails (instead of hanging) when `promise` does not settle in time. */
async function soon<T>(promise: Promise<T>, what: string, ms = 1000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsCode(promise: Promise<unknown>, code: MultipartErrorCode): Promise<void> {
  await assert.rejects(soon(promise, code), (err: unknown) => {
    assert.ok(err instanceof MultipartError, `expected a MultipartError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

async function nextPart(parts: AsyncIterator<MultipartPart>): Promise<MultipartPart> {
  const r = await soon(parts.next(), 'a part');
  if (r.done === true) assert.fail('expected another part');
  return r.value;
}

interface Decoded {
  headers: Array<[string, string]>;
  body: string;
}

async function decodeAll(
  chunks: readonly Uint8Array[],
  boundary: string,
  options?: { maxHeaderBytes?: number },
): Promise<Decoded[]> {
  const out: Decoded[] = [];
  for await (const part of parseMultipart(streamOf(chunks), boundary, options)) {
    out.push({ headers: [...part.headers], body: await part.text() });
  }
  return out;
}

function boundaryOf(part: MultipartPart): string {
  const type = parseMediaType(part.headers.get('content-type') ?? '');
  const boundary = type.parameters.get('boundary');
  assert.ok(boundary, 'a multipart part has a boundary');
  return boundary;
}

interface DecodedPrep {
  part1: { headers: Array<[string, string]>; body: Uint8Array };
  notifications: Array<{ headers: Array<[string, string]>; body: Uint8Array }>;
}

/** Reads a whole PREP body: part 1, then every digest part, then both ends. */
async function decodePrep(chunks: readonly Uint8Array[], mixed: string): Promise<DecodedPrep> {
  const outer = parseMultipart(streamOf(chunks), mixed);
  const p1 = await nextPart(outer);
  const part1 = { headers: [...p1.headers], body: await p1.bytes() };
  const p2 = await nextPart(outer);
  assert.equal(parseMediaType(p2.headers.get('content-type')!).essence, 'multipart/digest');
  const notifications: DecodedPrep['notifications'] = [];
  for await (const n of parseMultipart(p2.body, boundaryOf(p2))) {
    notifications.push({ headers: [...n.headers], body: await n.bytes() });
  }
  assert.equal((await soon(outer.next(), 'the end')).done, true);
  return { part1, notifications };
}

// ---------------------------------------------------------------------------------------
// Draft and RFC examples

test('RSP-4 decodes the introduction example of draft -03 (digest note §2.7), CRLF and bare LF', async () => {
  for (const body of [INTRODUCTION, INTRODUCTION.replace(/\r\n/g, '\n')]) {
    const eol = body === INTRODUCTION ? '\r\n' : '\n';
    const prep = await decodePrep([bytes(body)], 'MAIN-SEPARATOR');
    assert.deepEqual(prep.part1.headers, [['content-type', 'text/plain']]);
    assert.equal(new TextDecoder().decode(prep.part1.body), `Hello World!${eol}`);
    assert.deepEqual(
      prep.notifications.map((n) => [n.headers, new TextDecoder().decode(n.body)]),
      [
        [
          [],
          `Method: PUT${eol}Date: Sat, 1 April 2023 10:11:12 GMT${eol}Event-ID: 456${eol}E-tag: 6789wxyz${eol}${eol}`,
        ],
        [
          [],
          `Method: DELETE${eol}Date: Sat, 1 April 2023 10:11:12 GMT${eol}Event-ID: 789${eol}${eol}`,
        ],
      ],
    );
  }
});

test('RSP-4 decodes the notifications example of draft -03 and the rfc822 examples (digest note §2.8)', async () => {
  const notifications = wire(`--main-boundary
Content-Type: text/html

<html>

--main-boundary
Content-Type: multipart/digest; boundary="next-message"

--next-message
Content-Type: message/rfc822

<message>

--next-message--
--main-boundary--
`);
  const prep = await decodePrep([bytes(notifications)], 'main-boundary');
  assert.deepEqual(prep.part1.headers, [['content-type', 'text/html']]);
  assert.deepEqual(prep.notifications.length, 1);
  assert.deepEqual(prep.notifications[0]!.headers, [['content-type', 'message/rfc822']]);
  assert.equal(new TextDecoder().decode(prep.notifications[0]!.body), '<message>\r\n');

  // §2.8: three digest parts with empty header blocks (joined, closed for the test).
  const digest = wire(`--random-boundary

Method: PUT
Date: Sat, 1 April 2023 10:11:12 GMT
Event-ID: 1234
ETag: "abc123"


--random-boundary

Method: POST
Date: Sat, 1 April 2023 10:12:14 GMT
Event-ID: 1235
Content-Location: /foo


--random-boundary

Method: PATCH
Date: Sat, 1 April 2023 10:14:16 GMT
Event-ID: 1236
ETag: "xyz987"
Content-type: application/example

<delta>

--random-boundary--`);
  const parts = await decodeAll([bytes(digest)], 'random-boundary');
  assert.deepEqual(
    parts.map((p) => p.headers),
    [[], [], []],
  );
  assert.match(parts[1]!.body, /^Method: POST\r\n.*Content-Location: \/foo\r\n\r\n$/s);
  assert.match(parts[2]!.body, /Content-type: application\/example\r\n\r\n<delta>\r\n$/);
  assert.equal(defaultPartContentType('digest'), 'message/rfc822');
  assert.equal(defaultPartContentType('Digest'), 'message/rfc822');
  assert.equal(defaultPartContentType('mixed'), 'text/plain');
});

test('decodes a bare top-level multipart/digest (draft -00 body shape)', async () => {
  const body = wire(`--D

Method: PUT
Event-ID: 1


--D--
`);
  const parts = await decodeAll([bytes(body)], 'D');
  assert.deepEqual(parts, [{ headers: [], body: 'Method: PUT\r\nEvent-ID: 1\r\n\r\n' }]);
});

test('RFC 2046 §5.1.1 example: preamble, epilogue, an untyped part without final line break', async () => {
  const body = wire(`This is the preamble.  It is to be ignored, though it
is a handy place for composition agents to include an
explanatory note to non-MIME conformant readers.

--simple boundary

This is implicitly typed plain US-ASCII text.
It does NOT end with a linebreak.
--simple boundary
Content-type: text/plain; charset=us-ascii

This is explicitly typed plain US-ASCII text.
It DOES end with a linebreak.

--simple boundary--

This is the epilogue.  It is also to be ignored.
`);
  assert.deepEqual(await decodeAll([bytes(body)], 'simple boundary'), [
    {
      headers: [],
      body: 'This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.',
    },
    {
      headers: [['content-type', 'text/plain; charset=us-ascii']],
      body: 'This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n',
    },
  ]);
});

test('preamble look-alikes, transport padding, folded headers, empty parts, epilogue', async () => {
  const body =
    'preamble\r\n--bx not a delimiter\r\n--b- nor this\r\n--b \t\r\n' +
    'A: 1\r\nB:  two \r\n  folded\r\n\r\nfirst' +
    '\r\n--b\t\r\n\r\n' + // no headers, empty body (keep-alive shape)
    '\r\n--b\r\nC: 3\r\n' + // headers, and the blank line's CRLF is the delimiter's
    '\r\n--b--   \r\nepilogue\r\n--b\r\nX: ignored\r\n\r\n';
  const expected: Decoded[] = [
    {
      headers: [
        ['a', '1'],
        ['b', 'two folded'],
      ],
      body: 'first',
    },
    { headers: [], body: '' },
    { headers: [['c', '3']], body: '' },
  ];
  assert.deepEqual(await decodeAll([bytes(body)], 'b'), expected);
  assert.deepEqual(await decodeAll(bytewise(bytes(body)), 'b'), expected);
  assert.deepEqual(await decodeAll([bytes(body.replace(/\r\n/g, '\n'))], 'b'), expected);
  // A close delimiter first is an empty multipart: a PREP digest closed before any notification.
  assert.deepEqual(await decodeAll([bytes('preamble\r\n--b--\r\n')], 'b'), []);
  // Mixed line ends in one stream.
  assert.deepEqual(await decodeAll([bytes('--b\nA: 1\r\n\nx\r\n--b\r\n\ny\n--b--')], 'b'), [
    { headers: [['a', '1']], body: 'x' },
    { headers: [], body: 'y' },
  ]);
});

test('a 1-byte-at-a-time feed decodes a whole PREP body', async () => {
  const b: PrepBoundaries = { mixed: 'mixed-1', digest: 'digest-1' };
  const writes = [
    encodePrepHead(b, [['Content-Type', 'text/plain']], 'Hello\r\n-- World\r\n-'),
    encodeDigestPart(b, [], 'Method: PUT\r\nEvent-ID: 1\r\n\r\n'),
    encodeKeepAlive(b),
    encodeDigestPart(b, [['Content-Type', 'application/json']], '{"x":"\\r\\n--digest-"}\r'),
    encodePrepClose(b),
  ];
  const prep = await decodePrep(bytewise(concat(writes)), b.mixed);
  const text = (u: Uint8Array): string => new TextDecoder().decode(u);
  assert.equal(text(prep.part1.body), 'Hello\r\n-- World\r\n-');
  assert.deepEqual(
    prep.notifications.map((n) => [n.headers, text(n.body)]),
    [
      [[], 'Method: PUT\r\nEvent-ID: 1\r\n\r\n'],
      [[], ''],
      [[['content-type', 'application/json']], '{"x":"\\r\\n--digest-"}\r'],
    ],
  );
});

// ---------------------------------------------------------------------------------------
// Liveness (RSP-6)

test('RSP-6 a part is delivered, and its body ends, before any later byte arrives', async () => {
  const b: PrepBoundaries = { mixed: 'M', digest: 'D' };
  const src = controlled();
  const outer = parseMultipart(src.stream, b.mixed);

  src.push(encodePrepHead(b, [['Content-Type', 'text/plain']], 'Hello'));
  const part1 = await nextPart(outer);
  assert.equal(await soon(part1.text(), 'part 1 body'), 'Hello');
  const part2 = await nextPart(outer);
  const inner = parseMultipart(part2.body, boundaryOf(part2));

  for (const id of ['1', '2', '3']) {
    const message = `Method: PATCH\r\nEvent-ID: ${id}\r\n\r\n`;
    src.push(encodeDigestPart(b, [], message));
    // Nothing after this write has been sent: the part and its whole body must arrive.
    const n = await nextPart(inner);
    assert.equal(await soon(n.text(), `notification ${id}`), message);
  }
  // A keep-alive is an empty part, also delivered at once.
  src.push(encodeKeepAlive(b));
  const empty = await nextPart(inner);
  assert.deepEqual([...empty.headers], []);
  assert.equal(await soon(empty.text(), 'keep-alive'), '');

  src.push(encodePrepClose(b));
  assert.equal((await soon(inner.next(), 'digest end')).done, true);
  assert.equal((await soon(outer.next(), 'mixed end')).done, true);
});

test('RSP-6 a part is yielded once its header block is complete, and its body streams', async () => {
  const src = controlled();
  const parts = parseMultipart(src.stream, 'b');
  src.push('--b\r\nContent-Type: text/plain\r\n');
  const pending = parts.next();
  src.push('\r\nhel');
  const part = (await soon(pending, 'the part')).value as MultipartPart;
  assert.equal(part.headers.get('content-type'), 'text/plain');
  const reader = part.body.getReader();
  assert.equal(new TextDecoder().decode((await soon(reader.read(), 'first bytes')).value), 'hel');
  src.push('lo\r');
  assert.equal(new TextDecoder().decode((await soon(reader.read(), 'more bytes')).value), 'lo');
  // The CR is held back until we know whether a delimiter follows.
  src.push('\n--b');
  assert.equal((await soon(reader.read(), 'end of body')).done, true);
  src.push('--');
  assert.equal((await soon(parts.next(), 'end')).done, true);
});

// ---------------------------------------------------------------------------------------
// Round trip (fast-check)

const MIXED = 'mx-b';
const DIGEST = 'dg-b';
const name = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const value = fc.stringMatching(
  /^([\x21-\x7e\xa0-\xff]([\x20-\x7e\t\xa0-\xff]{0,16}[\x21-\x7e\xa0-\xff])?)?$/,
);
const headerList = fc
  .uniqueArray(fc.tuple(name, value), {
    maxLength: 3,
    selector: ([n]) => n.toLowerCase(),
  })
  .filter((pairs) => pairs.every(([n]) => !n.startsWith('--')));
/** Bodies made of pieces that come close to delimiters, plus random bytes. */
const body = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '-',
        '--',
        '\r\n--',
        '\n--mx',
        '\r\n--dg-',
        '--mx-b',
        'x',
      ),
      fc.uint8Array({ maxLength: 6 }).map((u) => String.fromCharCode(...u)),
    ),
    { maxLength: 8 },
  )
  .map((pieces) => octets(pieces.join('')))
  .filter((u) => !containsDelimiter(u, MIXED) && !containsDelimiter(u, DIGEST));
const part = fc.record({ headers: headerList, body });
const prepDoc = fc.record({ part1: part, notifications: fc.array(part, { maxLength: 4 }) });

function encodePrep(doc: {
  part1: { headers: Array<[string, string]>; body: Uint8Array };
  notifications: Array<{ headers: Array<[string, string]>; body: Uint8Array }>;
}): Uint8Array {
  const b = { mixed: MIXED, digest: DIGEST };
  return concat([
    encodePrepHead(b, doc.part1.headers, doc.part1.body),
    ...doc.notifications.map((n) => encodeDigestPart(b, n.headers, n.body)),
    encodePrepClose(b),
  ]);
}

/** What decoding must give: headers as the web `Headers` class normalizes them. */
function expectFrom(p: { headers: Array<[string, string]>; body: Uint8Array }) {
  return { headers: [...new Headers(p.headers)], body: p.body };
}

test('RSP-4 RSP-6 decode(encode(PREP body)) round-trips when split at every possible byte', async () => {
  await fc.assert(
    fc.asyncProperty(prepDoc, async (doc) => {
      const all = encodePrep(doc);
      const expected = {
        part1: expectFrom(doc.part1),
        notifications: doc.notifications.map(expectFrom),
      };
      for (let cut = 0; cut <= all.length; cut++) {
        const chunks = [all.subarray(0, cut), all.subarray(cut)].filter((c) => c.length > 0);
        assert.deepEqual(await decodePrep(chunks, MIXED), expected, `split at ${cut}`);
      }
    }),
    { numRuns: 40 },
  );
});

test('RSP-4 decode(encode(PREP body)) round-trips under random multi-splits', async () => {
  await fc.assert(
    fc.asyncProperty(prepDoc, fc.array(fc.nat(), { maxLength: 12 }), async (doc, cuts) => {
      const all = encodePrep(doc);
      assert.deepEqual(await decodePrep(split(all, cuts), MIXED), {
        part1: expectFrom(doc.part1),
        notifications: doc.notifications.map(expectFrom),
      });
    }),
    { numRuns: 300 },
  );
});

test('decode(encodeMultipartDocument(parts)) round-trips, split at every byte, and framed with bare LF', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 4 }), async (parts) => {
      const all = encodeMultipartDocument(MIXED, parts);
      const expected = parts.map((p) => ({
        headers: [...new Headers(p.headers)],
        body: new TextDecoder().decode(p.body),
      }));
      for (let cut = 0; cut <= all.length; cut++) {
        const chunks = [all.subarray(0, cut), all.subarray(cut)].filter((c) => c.length > 0);
        assert.deepEqual(await decodeAll(chunks, MIXED), expected, `split at ${cut}`);
      }
      // The same document framed with bare LF (bodies untouched). A body ending in CR is
      // ambiguous there (`CR LF--B` reads as a CRLF delimiter), so those are left out.
      if (parts.some((p) => p.body[p.body.length - 1] === 0x0d)) return;
      const lf = concat([
        octets(`--${MIXED}`),
        ...parts.flatMap((p) => [
          octets(`\n${p.headers.map(([n, v]) => `${n}: ${v}\n`).join('')}\n`),
          p.body,
          octets(`\n--${MIXED}`),
        ]),
        octets('--\n'),
      ]);
      assert.deepEqual(await decodeAll([lf], MIXED), expected);
      assert.deepEqual(await decodeAll(bytewise(lf), MIXED), expected);
    }),
    { numRuns: 40 },
  );
});

test('any input ends in parts or a MultipartError with a code, never another error or a hang', async () => {
  const piece = fc.oneof(
    fc.constantFrom(
      '--b',
      '\r\n',
      '\n',
      '\r',
      '--',
      '-',
      ' ',
      '\t',
      ':',
      'A: 1',
      '\r\n--b',
      '\n--b--',
      '\0',
    ),
    fc.string({ maxLength: 3 }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.boolean(),
      async (pieces, cuts, readInOrder) => {
        const chunks = split(octets(pieces.join('')), cuts);
        const run = (async () => {
          const late: Array<Promise<unknown>> = [];
          for await (const p of parseMultipart(streamOf(chunks), 'b')) {
            if (readInOrder) await p.text();
            else late.push(p.text().catch(() => undefined));
          }
          await Promise.all(late);
        })();
        await soon(
          run.catch((err: unknown) => {
            assert.ok(err instanceof MultipartError, String(err));
          }),
          'the parse to settle',
        );
      },
    ),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------
// Consumers that skip, stop, or read late

test('a part body never read is discarded when the iterator moves on, without deadlock', async () => {
  const all = encodeMultipartDocument('b', [
    { headers: [['N', '1']], body: 'one' },
    { headers: [['N', '2']], body: 'two'.repeat(1000) },
    { headers: [['N', '3']], body: 'three' },
  ]);
  for (const chunks of [[all], bytewise(all)]) {
    const seen: MultipartPart[] = [];
    for await (const p of parseMultipart(streamOf(chunks), 'b')) seen.push(p);
    assert.deepEqual(
      seen.map((p) => p.headers.get('n')),
      ['1', '2', '3'],
    );
    await rejectsCode(seen[0]!.text(), 'MULTIPART_DISCARDED');
    await rejectsCode(seen[1]!.body.getReader().read(), 'MULTIPART_DISCARDED');
  }
});

test('bodies whose reading has started are kept whole when the iterator moves on', async () => {
  const texts = ['one', 'two\r\n'.repeat(100), '', 'four'];
  const all = encodeMultipartDocument(
    'b',
    texts.map((body) => ({ body })),
  );
  for (const chunks of [[all], bytewise(all), split(all, [3, 50, 51, 400])]) {
    const pending: Array<Promise<string>> = [];
    const readers: Array<Promise<string>> = [];
    let i = 0;
    for await (const p of parseMultipart(streamOf(chunks), 'b')) {
      if (i++ % 2 === 0) pending.push(p.text());
      else readers.push(new Response(p.body).text());
    }
    assert.deepEqual(await Promise.all(pending), [texts[0], texts[2]]);
    assert.deepEqual(await Promise.all(readers), [texts[1], texts[3]]);
  }
});

test('backpressure: parts are read at the consumer pace, not buffered ahead', async () => {
  const enc = createMultipartEncoder('b');
  let pulls = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(pulls === 1 ? enc.open() : enc.part([['N', String(pulls)]], 'x'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const parts = parseMultipart(endless, 'b');
  for (let i = 0; i < 3; i++) await (await nextPart(parts)).text();
  // 1 opening write + 3 parts, and at most a chunk or two read ahead by the stream itself.
  assert.ok(pulls <= 6, `pulled ${pulls} chunks for 3 parts`);
  await parts.return();
  assert.equal(cancelled, true);
});

test('return() (break in for await) cancels the source, also while a read is pending', async () => {
  const src = controlled();
  const parts = parseMultipart(src.stream, 'b');
  src.push('--b\r\n\r\nfirst\r\n--b');
  for await (const p of parts) {
    assert.equal(await p.text(), 'first');
    break;
  }
  await soon(src.cancelled, 'cancel');

  // A pending next() (waiting for a notification that never comes) ends with done.
  const src2 = controlled();
  const parts2 = parseMultipart(src2.stream, 'b');
  src2.push('--b\r\n\r\nfirst\r\n--b');
  const p = await nextPart(parts2);
  const reading = p.body.getReader();
  await soon(reading.read(), 'first bytes');
  const pending = parts2.next();
  await parts2.return();
  assert.equal((await soon(pending, 'pending next')).done, true);
  await soon(src2.cancelled, 'cancel');
});

test('the close delimiter ends parsing at once; the epilogue is not waited for', async () => {
  const src = controlled();
  const parts = parseMultipart(src.stream, 'b');
  src.push('--b\r\n\r\nonly\r\n--b');
  assert.equal(await (await nextPart(parts)).text(), 'only');
  src.push('--');
  assert.equal((await soon(parts.next(), 'the end')).done, true);
  await soon(src.cancelled, 'the source released');
});

test('a nested parser stopped early leaves the outer parser able to finish', async () => {
  const b: PrepBoundaries = { mixed: 'M', digest: 'D' };
  const all = concat([
    encodePrepHead(b, [], 'base'),
    encodeDigestPart(b, [], 'one'),
    encodeDigestPart(b, [], 'two'),
    encodePrepClose(b),
  ]);
  const outer = parseMultipart(streamOf(bytewise(all)), b.mixed);
  await nextPart(outer);
  const digest = await nextPart(outer);
  const inner = parseMultipart(digest.body, 'D');
  assert.equal(await (await nextPart(inner)).text(), 'one');
  await inner.return();
  assert.equal((await soon(outer.next(), 'outer end')).done, true);
});

// ---------------------------------------------------------------------------------------
// Errors: always a code, never a hang

test('a stream that ends before the close delimiter gives MULTIPART_TRUNCATED', async () => {
  for (const body of [
    '',
    'only a preamble\r\n',
    '--b',
    '--b-',
    '--b\r\nContent-Type: text/plain\r\n',
    '--b\r\n\r\nbody',
    '--b\r\n\r\nbody\r\n--',
    '--b\r\n\r\nbody\r\n--b\r\n\r\n',
  ]) {
    const parts = parseMultipart(streamOf([bytes(body)]), 'b');
    const drained = (async () => {
      for await (const p of parts) await p.text();
    })();
    await rejectsCode(drained, 'MULTIPART_TRUNCATED');
    // Sticky: the iterator keeps failing with the same code.
    await rejectsCode(parts.next(), 'MULTIPART_TRUNCATED');
  }
  // The part being read fails too, and so does a nested parser reading it.
  const all = concat([encodePrepHead({ mixed: 'M', digest: 'D' }, [], 'x'), bytes('\r\n\r\nhalf')]);
  const outer = parseMultipart(streamOf([all]), 'M');
  await nextPart(outer);
  const digest = await nextPart(outer);
  const inner = parseMultipart(digest.body, 'D');
  const n = await nextPart(inner);
  await rejectsCode(n.text(), 'MULTIPART_TRUNCATED');
  await rejectsCode(inner.next(), 'MULTIPART_TRUNCATED');
  await rejectsCode(outer.next(), 'MULTIPART_TRUNCATED');
});

test('malformed or oversized header blocks give MULTIPART_HEADER', async () => {
  for (const block of [
    'no colon here\r\n',
    'Space Before: x\r\n',
    'Name : x\r\n',
    ': no name\r\n',
    ' folded-first: x\r\n',
    'Nul: a\0b\r\n',
    'Cr: a\rb\r\n',
  ]) {
    await rejectsCode(
      decodeAll([bytes(`--b\r\n${block}\r\nbody\r\n--b--`)], 'b'),
      'MULTIPART_HEADER',
    );
  }
  const big = `--b\r\nX: ${'a'.repeat(200)}\r\n\r\nbody\r\n--b--`;
  await rejectsCode(decodeAll([bytes(big)], 'b', { maxHeaderBytes: 100 }), 'MULTIPART_HEADER');
  await rejectsCode(
    decodeAll(bytewise(bytes(big)), 'b', { maxHeaderBytes: 100 }),
    'MULTIPART_HEADER',
  );
  assert.equal((await decodeAll([bytes(big)], 'b', { maxHeaderBytes: 300 })).length, 1);
  // A header block that never ends is cut off at the default 64 KiB, not read forever.
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(bytes(sent++ === 0 ? '--b\r\nX: ' : 'a'.repeat(4096)));
    },
  });
  await rejectsCode(parseMultipart(endless, 'b').next(), 'MULTIPART_HEADER');
  assert.ok(sent < 20, `read ${sent} chunks`);
});

test('unusable boundaries and broken delimiter lines give MULTIPART_BOUNDARY', async () => {
  const empty = streamOf([]);
  for (const bad of ['', 'with\r\nbreak', 'x'.repeat(257), 'tab\there', 'é']) {
    assert.throws(
      () => parseMultipart(empty, bad),
      (err: unknown) => err instanceof MultipartError && err.code === 'MULTIPART_BOUNDARY',
    );
  }
  assert.throws(() => parseMultipart(empty, 'b', { maxHeaderBytes: 0 }), RangeError);
  // After a part, a delimiter must be followed by a line break or "--".
  await rejectsCode(decodeAll([bytes('--b\r\n\r\none\r\n--bogus\r\n')], 'b'), 'MULTIPART_BOUNDARY');
  await rejectsCode(decodeAll([bytes('--b\r\n\r\none\r\n--b-x')], 'b'), 'MULTIPART_BOUNDARY');
});

test('a source error reaches the iterator and the body being read', async () => {
  const src = controlled();
  const parts = parseMultipart(src.stream, 'b');
  src.push('--b\r\n\r\npartial');
  const p = await nextPart(parts);
  const reading = p.text();
  const boom = new Error('connection reset');
  src.error(boom);
  await assert.rejects(soon(reading, 'body'), boom);
  await assert.rejects(soon(parts.next(), 'next'), boom);
});
