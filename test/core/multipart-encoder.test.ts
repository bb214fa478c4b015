import { INTRODUCTION, wire } from './draft-examples.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  containsDelimiter,
  createBoundary,
  createMultipartEncoder,
  createPrepBoundaries,
  encodeDigestPart,
  encodeKeepAlive,
  encodeMultipartDocument,
  encodePrepClose,
  encodePrepHead,
  isValidBoundary,
  MultipartError,
  type MultipartErrorCode,
  type PrepBoundaries,
} from '../../packages/client/src/core/multipart/index.js';

const utf8 = new TextDecoder();
const text = (bytes: Uint8Array): string => utf8.decode(bytes);
const joined = (writes: readonly Uint8Array[]): string => writes.map(text).join('');
/** A figure from the draft, written with LF line ends, as wire bytes (CRLF). */

function throwsCode(fn: () => unknown, code: MultipartErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MultipartError, `expected a MultipartError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

const B: PrepBoundaries = { mixed: 'M', digest: 'D' };

test('RSP-4 RSP-6 RSP-7 a full PREP body is byte-exact (wire layout of the digest note §3)', () => {
  const writes = [
    encodePrepHead(B, [['Content-Type', 'text/plain']], 'Hello World!'),
    encodeDigestPart(
      B,
      [],
      'Method: PATCH\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: x1\r\nETag: "e1"\r\n\r\n',
    ),
    encodeDigestPart(B, [['Content-Type', 'application/ld+json']], '{"a":1}'),
    encodeKeepAlive(B),
    encodePrepClose(B),
  ];
  assert.deepEqual(writes.map(text), [
    '--M\r\nContent-Type: text/plain\r\n\r\nHello World!' +
      '\r\n--M\r\nContent-Type: multipart/digest; boundary="D"\r\n\r\n--D',
    '\r\n\r\nMethod: PATCH\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: x1\r\nETag: "e1"\r\n\r\n\r\n--D',
    '\r\nContent-Type: application/ld+json\r\n\r\n{"a":1}\r\n--D',
    '\r\n\r\n\r\n--D',
    '--\r\n--M--\r\n',
  ]);
});

test('RSP-4 the introduction example of draft -03, byte for byte', () => {
  // draft-gupta-httpbis-per-resource-events-03, examples/introduction (the "--MAIN SEPARATOR"
  // typo fixed). Part bodies and messages are the bytes between the part header block
  // and the CRLF of the next delimiter.
  const figure = INTRODUCTION;
  const b = { mixed: 'MAIN-SEPARATOR', digest: 'MESSAGE-SEPARATOR' };
  const writes = [
    encodePrepHead(b, [['Content-Type', 'text/plain']], 'Hello World!\r\n'),
    encodeDigestPart(
      b,
      [],
      wire('Method: PUT\nDate: Sat, 1 April 2023 10:11:12 GMT\nEvent-ID: 456\nE-tag: 6789wxyz\n\n'),
    ),
    encodeDigestPart(
      b,
      [],
      wire('Method: DELETE\nDate: Sat, 1 April 2023 10:11:12 GMT\nEvent-ID: 789\n\n'),
    ),
    encodePrepClose(b),
  ];
  assert.equal(joined(writes), figure);
});

test('RSP-4 the notifications example of draft -03 (a digest part with Content-Type), byte for byte', () => {
  const figure = wire(`--main-boundary
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
  const b = { mixed: 'main-boundary', digest: 'next-message' };
  const writes = [
    encodePrepHead(b, [['Content-Type', 'text/html']], '<html>\r\n'),
    encodeDigestPart(b, [['Content-Type', 'message/rfc822']], '<message>\r\n'),
    encodePrepClose(b),
  ];
  assert.equal(joined(writes), figure);
});

test('RSP-4 the message/rfc822 examples of draft -03 §rfc822 are digest parts with an empty header block', () => {
  const figure = wire(`--random-boundary

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

--random-boundary`);
  const messages = [
    'Method: PUT\nDate: Sat, 1 April 2023 10:11:12 GMT\nEvent-ID: 1234\nETag: "abc123"\n\n',
    'Method: POST\nDate: Sat, 1 April 2023 10:12:14 GMT\nEvent-ID: 1235\nContent-Location: /foo\n\n',
    'Method: PATCH\nDate: Sat, 1 April 2023 10:14:16 GMT\nEvent-ID: 1236\nETag: "xyz987"\nContent-type: application/example\n\n<delta>\n',
  ].map(wire);
  const enc = createMultipartEncoder('random-boundary');
  assert.equal(joined([enc.open(), ...messages.map((m) => enc.part([], m))]), figure);
  assert.equal(
    joined([enc.open(), ...messages.map((m) => encodeDigestPart('random-boundary', [], m))]),
    figure,
  );
});

test('RSP-4 part 1 is written even when the base body is omitted (headers only)', () => {
  assert.equal(
    text(encodePrepHead(B, [['Content-Type', 'text/html']])),
    '--M\r\nContent-Type: text/html\r\n\r\n\r\n--M\r\nContent-Type: multipart/digest; boundary="D"\r\n\r\n--D',
  );
  // No representation headers at all: part 1 is still there, empty.
  assert.equal(
    text(encodePrepHead(B, [])),
    '--M\r\n\r\n\r\n--M\r\nContent-Type: multipart/digest; boundary="D"\r\n\r\n--D',
  );
});

test('RSP-6 every write ends right after a delimiter, and the next write starts with its line break or "--"', () => {
  const b = createPrepBoundaries();
  const writes = [
    encodePrepHead(b, [['Content-Type', 'text/turtle']], '<a> <b> <c> .\n'),
    encodeDigestPart(b, [], 'Method: PUT\r\nEvent-ID: 1\r\n\r\n'),
    encodeKeepAlive(b),
    encodeDigestPart(b, [['Content-Type', 'application/ld+json']], '{}'),
    encodeDigestPart(b, [], 'Method: DELETE\r\nEvent-ID: 2\r\n\r\n'),
    encodePrepClose(b),
  ];
  for (const [i, w] of writes.slice(0, -1).entries()) {
    assert.ok(text(w).endsWith(`\r\n--${b.digest}`), `write ${i} ends with CRLF --D`);
    const next = text(writes[i + 1]!);
    assert.ok(
      next.startsWith('\r\n') || next.startsWith('--'),
      `write ${i + 1} completes the line`,
    );
  }
  // The generic encoder follows the same rule.
  const enc = createMultipartEncoder('b');
  assert.equal(text(enc.open()), '--b');
  assert.equal(text(enc.first([['A', '1']], 'x')), '--b\r\nA: 1\r\n\r\nx\r\n--b');
  assert.equal(text(enc.part(undefined, 'y')), '\r\n\r\ny\r\n--b');
  assert.equal(text(enc.close()), '--\r\n');
});

test('RSP-7 the close write ends the digest, then the mixed body: --D-- then --M--', () => {
  const b = createPrepBoundaries();
  const stream = joined([encodePrepHead(b, []), encodeKeepAlive(b), encodePrepClose(b)]);
  assert.ok(stream.endsWith(`\r\n--${b.digest}--\r\n--${b.mixed}--\r\n`));
  // Right after the head (no notification yet) as well.
  assert.ok(
    joined([encodePrepHead(b, []), encodePrepClose(b)]).endsWith(
      `\r\n\r\n--${b.digest}--\r\n--${b.mixed}--\r\n`,
    ),
  );
  assert.equal(text(encodePrepClose('M')), '--\r\n--M--\r\n');
});

test('containsDelimiter finds CRLF, bare-LF and leading delimiters, in bytes and strings', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  const cases: Array<[string, boolean]> = [
    ['plain text', false],
    ['a\r\n--xyz', true],
    ['a\n--xyz', true],
    ['--xyz at the start', true],
    ['a\r\n--xyzw (longer boundary still ends the part)', true],
    ['a --xyz mid-line', false],
    ['a\r\n-xyz', false],
    ['a\r\n--xy', false],
    ['a\r\n--XYZ (boundaries are case-sensitive)', false],
    ['', false],
  ];
  for (const [body, expected] of cases) {
    assert.equal(containsDelimiter(body, 'xyz'), expected, JSON.stringify(body));
    assert.equal(containsDelimiter(bytes(body), 'xyz'), expected, `bytes ${JSON.stringify(body)}`);
  }
});

test('RSP-4 a notification whose message holds a delimiter is refused, not sent to every subscriber', () => {
  throwsCode(() => encodeDigestPart(B, [], 'delta\r\n--D\r\n'), 'MULTIPART_BODY');
  throwsCode(() => encodeDigestPart(B, [], 'delta\n--D'), 'MULTIPART_BODY');
  throwsCode(() => encodeDigestPart(B, [], '--D at the start'), 'MULTIPART_BODY');
  // The outer delimiter would end part 2: refused when both boundaries are known.
  throwsCode(() => encodeDigestPart(B, [], 'delta\r\n--M\r\n'), 'MULTIPART_BODY');
  assert.doesNotThrow(() => encodeDigestPart('D', [], 'delta\r\n--M\r\n'));
  throwsCode(() => encodePrepHead(B, [], 'body\r\n--M'), 'MULTIPART_BODY');
  throwsCode(() => createMultipartEncoder('b').part([], 'x\n--b'), 'MULTIPART_BODY');
  throwsCode(
    () => createMultipartEncoder('inner', { enclosing: ['outer'] }).part([], 'x\r\n--outer'),
    'MULTIPART_BODY',
  );
});

test('part headers cannot inject lines or parts', () => {
  const enc = createMultipartEncoder('b');
  throwsCode(() => enc.part([['X', 'a\r\nInjected: 1']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['X', 'a\nb']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['X', 'a\rb']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['X', 'nul\0']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['X', 'snowman \u2603']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['Bad Name', 'v']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['Bad:Name', 'v']], ''), 'MULTIPART_HEADER');
  throwsCode(() => enc.part([['', 'v']], ''), 'MULTIPART_HEADER');
  // A token name that starts a line with the delimiter would end the part.
  throwsCode(() => enc.part([['--b', 'v']], ''), 'MULTIPART_HEADER');
  // Allowed: HTAB, obs-text (Latin-1), empty values; records and Headers as input.
  assert.equal(text(enc.part({ A: 'x\ty', B: '' }, '')), '\r\nA: x\ty\r\nB: \r\n\r\n\r\n--b');
  assert.deepEqual(
    [...enc.part([['C', 'caf\u00e9']])].slice(2, 10),
    [0x43, 0x3a, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0d],
  );
  assert.equal(
    text(enc.part(new Headers([['Content-Type', 'text/plain']]))),
    '\r\ncontent-type: text/plain\r\n\r\n\r\n--b',
  );
});

test('boundaries: createBoundary is random, 32 letters and digits; invalid boundaries are refused', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const b = createBoundary();
    assert.match(b, /^[A-Za-z0-9]{32}$/);
    assert.ok(isValidBoundary(b));
    seen.add(b);
  }
  assert.equal(seen.size, 200);
  assert.ok(isValidBoundary("'()+_,-./:=? azAZ09"));
  for (const bad of ['', 'x'.repeat(71), 'ends with space ', 'quote"', 'semi;colon', 'cr\r', 'é']) {
    assert.equal(isValidBoundary(bad), false, JSON.stringify(bad));
    throwsCode(() => createMultipartEncoder(bad), 'MULTIPART_BOUNDARY');
  }
  throwsCode(() => encodePrepHead({ mixed: 'abc', digest: 'abcd' }, []), 'MULTIPART_BOUNDARY');
  throwsCode(() => encodePrepHead({ mixed: 'same', digest: 'same' }, []), 'MULTIPART_BOUNDARY');
  throwsCode(() => createMultipartEncoder('ab', { enclosing: ['a'] }), 'MULTIPART_BOUNDARY');
  const prep = createPrepBoundaries();
  assert.notEqual(prep.mixed, prep.digest);
});

test('encodeMultipartDocument writes a complete document (WES snapshot and feed pages)', () => {
  assert.equal(
    text(
      encodeMultipartDocument('page', [
        {
          headers: [
            ['Link', '</items/1>; rel="about"'],
            ['Content-ID', '<1@example.org>'],
          ],
          body: '{"id":1}',
        },
        { headers: [['Content-ID', '<2@example.org>']] },
      ]),
    ),
    '--page\r\nLink: </items/1>; rel="about"\r\nContent-ID: <1@example.org>\r\n\r\n{"id":1}' +
      '\r\n--page\r\nContent-ID: <2@example.org>\r\n\r\n\r\n--page--\r\n',
  );
  assert.equal(text(encodeMultipartDocument('empty', [])), '--empty--\r\n');
});

test('encoded writes are fresh arrays: one subscriber cannot alter what the next one gets', () => {
  const enc = createMultipartEncoder('b');
  const a = enc.open();
  a.fill(0);
  assert.equal(text(enc.open()), '--b');
  const body = new TextEncoder().encode('body');
  const part = enc.part([], body);
  body.fill(0x41);
  assert.equal(text(part), '\r\n\r\nbody\r\n--b');
});
