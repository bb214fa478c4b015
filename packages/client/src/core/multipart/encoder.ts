/**
 * The streaming multipart encoder (RFC 2046 §5.1) and the PREP framing on top of it.
 *
 * A PREP server serializes each notification once and writes the same bytes to every
 * subscriber, so everything here returns fresh, reusable `Uint8Array`s and keeps no
 * per-stream state.
 *
 * RSP-6: every write ends right after a delimiter `--B`. The delimiter's line break (when
 * another part follows) or the closing `--` goes at the start of the NEXT write, so a client
 * knows a part is complete the moment a write arrives, and the server can close the stream
 * without an empty part. Hence the shapes:
 *
 *     open()   --B
 *     part()   CRLF <header lines> CRLF <body> CRLF --B
 *     close()  -- CRLF
 */
import { assertValidBoundary, createBoundary } from './boundary.js';
import { MultipartError } from './errors.js';
import { createNeedle, indexOfNeedle, type Needle } from './search.js';

/**
 * Part header fields, in order: `[name, value]` pairs (a web `Headers` works too) or a
 * record. Names must be tokens; values are ByteStrings as in the Fetch `Headers` class
 * (no CR, LF, NUL or other controls but HTAB, nothing above U+00FF; percent-encode or use
 * RFC 8187 for other text).
 *
 * @example
 * ```ts
 * const headers: MultipartHeaders = [['Content-Type', 'text/plain'], ['Content-ID', '<1@example.org>']];
 * ```
 */
export type MultipartHeaders =
  Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/**
 * A part body: bytes, or text sent as UTF-8.
 *
 * @example
 * ```ts
 * const body: MultipartBody = new TextEncoder().encode('{"op":"add"}');
 * ```
 */
export type MultipartBody = Uint8Array | string;

/**
 * One part of a complete document for {@link encodeMultipartDocument}.
 *
 * @example
 * ```ts
 * const part: MultipartPartInit = { headers: { 'Content-Type': 'text/plain' }, body: 'hi' };
 * ```
 */
export interface MultipartPartInit {
  headers?: MultipartHeaders;
  body?: MultipartBody;
}

const CRLF = '\r\n';
const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

// tchar (RFC 9110 §5.6.2), indexed by char code.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function toBytes(body: MultipartBody | undefined): Uint8Array {
  if (body === undefined) return EMPTY;
  return typeof body === 'string' ? utf8.encode(body) : body;
}

function headerEntries(headers: MultipartHeaders): Iterable<readonly [string, string]> {
  return Symbol.iterator in headers
    ? (headers as Iterable<readonly [string, string]>)
    : Object.entries(headers);
}

/**
 * `<name>: <value> CRLF` for each header, validated so that no value can start a new
 * header line or part (header injection is impossible by construction).
 */
function headerLines(headers: MultipartHeaders | undefined): string {
  if (headers === undefined) return '';
  let out = '';
  for (const [name, value] of headerEntries(headers)) {
    if (typeof name !== 'string' || typeof value !== 'string')
      throw new MultipartError('MULTIPART_HEADER', 'part header names and values must be strings');
    if (name.length === 0)
      throw new MultipartError('MULTIPART_HEADER', 'a part header name is empty');
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 128 || TCHAR[c] !== 1)
        throw new MultipartError(
          'MULTIPART_HEADER',
          `part header name ${JSON.stringify(name)} is not a token (RFC 9110 §5.6.2)`,
        );
    }
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      // field-value = *( VCHAR / SP / HTAB / obs-text ), as ByteString code units.
      if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff)
        throw new MultipartError(
          'MULTIPART_HEADER',
          c === 0x0d || c === 0x0a
            ? `part header ${name} has a line break in its value, which would inject header lines`
            : c > 0xff
              ? `part header ${name} has a character above U+00FF at index ${i}: percent-encode it (or use RFC 8187)`
              : `part header ${name} has a control character (code ${c}) at index ${i}`,
        );
    }
    out += `${name}: ${value}${CRLF}`;
  }
  return out;
}

/**
 * Lays out `prefix CRLF <header lines> CRLF <body> <delimiter>` in one allocation and
 * checks that no `guard` delimiter (the part's own boundary and every enclosing one) occurs
 * before the final delimiter: that would end the part early for every reader.
 */
function layoutPart(
  prefix: Uint8Array,
  headers: MultipartHeaders | undefined,
  body: MultipartBody | undefined,
  guards: readonly Needle[],
  delimiter: Uint8Array,
): Uint8Array {
  const head = `${CRLF}${headerLines(headers)}${CRLF}`;
  const bytes = toBytes(body);
  const out = new Uint8Array(prefix.length + head.length + bytes.length + delimiter.length);
  out.set(prefix, 0);
  let at = prefix.length;
  for (let i = 0; i < head.length; i++) out[at++] = head.charCodeAt(i);
  const bodyStart = at;
  out.set(bytes, at);
  at += bytes.length;
  out.set(delimiter, at);
  for (const needle of guards) {
    // Search from the CRLF that opens the part: a header line or a body starting with
    // `--B` is preceded by a line break, so it reads as a delimiter too.
    const hit = indexOfNeedle(out, needle, prefix.length, at);
    if (hit === -1) continue;
    const boundary = String.fromCharCode(...needle.bytes.subarray(3));
    if (hit < bodyStart - 1)
      throw new MultipartError(
        'MULTIPART_HEADER',
        `a part header line starts with the delimiter --${boundary}`,
      );
    throw new MultipartError(
      'MULTIPART_BODY',
      `the part body contains the delimiter --${boundary}; send it without this body (see containsDelimiter)`,
    );
  }
  return out;
}

/**
 * True when `body`, written as a part body, would contain the delimiter of `boundary`:
 * `LF--boundary` anywhere (which covers `CRLF--boundary`), or `--boundary` at the very
 * start (a body always follows a line break). Such a body would end the part early for
 * every reader, so a PREP server drops the delta instead of corrupting a stream that all
 * subscribers share. Costs one memchr-like scan.
 *
 * @example
 * ```ts
 * declare const delta: Uint8Array; // a notification's delta, to be sent in a digest part
 * declare const boundaries: PrepBoundaries;
 * const sendDelta = !containsDelimiter(delta, boundaries.digest); // else send the headers alone
 * containsDelimiter('a\r\n--xyz', 'xyz'); // true
 * containsDelimiter('a--xyz', 'xyz'); // false
 * ```
 */
export function containsDelimiter(body: MultipartBody, boundary: string): boolean {
  const marker = `--${boundary}`;
  if (typeof body === 'string') return body.startsWith(marker) || body.includes(`\n${marker}`);
  if (body.length < marker.length) return false;
  let start = true;
  for (let i = 0; i < marker.length; i++) {
    if (body[i] !== marker.charCodeAt(i)) {
      start = false;
      break;
    }
  }
  return start || indexOfNeedle(body, createNeedle(boundary), 0, body.length) !== -1;
}

/**
 * A stateless streaming encoder for one boundary; see {@link createMultipartEncoder}.
 *
 * @example
 * ```ts
 * const enc: MultipartEncoder = createMultipartEncoder(createBoundary());
 * const writes = [enc.open(), enc.part([], 'a'), enc.close()];
 * ```
 */
export interface MultipartEncoder {
  /** The boundary, as given. */
  readonly boundary: string;
  /** The opening delimiter `--B`: the first write of an empty-so-far multipart. */
  open(): Uint8Array;
  /** `--B` followed by {@link MultipartEncoder.part}: an opening write that carries a part. */
  first(headers?: MultipartHeaders, body?: MultipartBody): Uint8Array;
  /** `CRLF <header lines> CRLF <body> CRLF --B`: one part, ending right after its delimiter. */
  part(headers?: MultipartHeaders, body?: MultipartBody): Uint8Array;
  /** `-- CRLF`, which turns the last `--B` into the close delimiter `--B--`. */
  close(): Uint8Array;
}

/**
 * Options of {@link createMultipartEncoder}.
 *
 * @example
 * ```ts
 * // A multipart nested in a part of another: its parts may not hold either delimiter.
 * const [outer, inner] = [createBoundary(), createBoundary()];
 * createMultipartEncoder(inner, { enclosing: [outer] });
 * ```
 */
export interface MultipartEncoderOptions {
  /**
   * Boundaries of the multiparts this one is nested in. Their delimiters are refused in
   * parts too, since they would end the enclosing part early.
   */
  enclosing?: readonly string[];
}

/**
 * A streaming multipart encoder whose writes follow RSP-6: each one ends right after a
 * delimiter, so the receiver can hand over a part as soon as its write arrives.
 *
 * The encoder keeps no state: the same part bytes can go to any number of streams.
 *
 * @throws {MultipartError} `MULTIPART_BOUNDARY` for an invalid boundary; its methods throw
 *   `MULTIPART_HEADER` for a header that could inject lines and `MULTIPART_BODY` for a body
 *   that contains a delimiter.
 * @example
 * ```ts
 * declare const writer: WritableStreamDefaultWriter<Uint8Array>; // a response body's
 * const enc = createMultipartEncoder('b0undary');
 * writer.write(enc.open()); // --b0undary
 * writer.write(enc.part([['Content-Type', 'text/plain']], 'hi')); // \r\nContent-Type: text/plain\r\n\r\nhi\r\n--b0undary
 * writer.write(enc.close()); // --\r\n
 * ```
 */
export function createMultipartEncoder(
  boundary: string,
  options: MultipartEncoderOptions = {},
): MultipartEncoder {
  assertValidBoundary(boundary);
  const enclosing = options.enclosing ?? [];
  for (const outer of enclosing) assertNotPrefix(boundary, outer);
  const opening = ascii(`--${boundary}`);
  const delimiter = ascii(`${CRLF}--${boundary}`);
  const guards = [boundary, ...enclosing].map((b) => createNeedle(b));
  return {
    boundary,
    open: () => opening.slice(),
    first: (headers, body) => layoutPart(opening, headers, body, guards, delimiter),
    part: (headers, body) => layoutPart(EMPTY, headers, body, guards, delimiter),
    close: () => ascii(`--${CRLF}`),
  };
}

/**
 * A complete (non-streaming) multipart body: `--B`, each part, then `--B--` CRLF. Used
 * for Web Event Sourcing snapshot parts (WES-2) and feed pages (WES-3). With no parts the
 * result is the bare close delimiter, which RFC 2046 does not define but every parser here
 * and the PREP digest accept.
 *
 * @example
 * ```ts
 * const page = encodeMultipartDocument(boundary, [
 *   { headers: [['Content-Type', 'application/json'], ['Content-ID', '<1@example.org>']], body: '{}' },
 * ]);
 * res.writeHead(200, { 'Content-Type': `multipart/mixed; boundary="${boundary}"` }).end(page);
 * ```
 */
export function encodeMultipartDocument(
  boundary: string,
  parts: Iterable<MultipartPartInit>,
): Uint8Array {
  const enc = createMultipartEncoder(boundary);
  const writes = [enc.open()];
  for (const p of parts) writes.push(enc.part(p.headers, p.body));
  writes.push(enc.close());
  return concat(writes);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// PREP framing (RSP-4, RSP-6, RSP-7)

/**
 * The two boundaries of a PREP notifications response (RSP-4).
 *
 * @example
 * ```ts
 * const boundaries: PrepBoundaries = { mixed: createBoundary(), digest: createBoundary() };
 * ```
 */
export interface PrepBoundaries {
  /** Boundary of the top-level `multipart/mixed` body. */
  mixed: string;
  /** Boundary of the `multipart/digest` in part 2. */
  digest: string;
}

/**
 * RFC 2046 §5.1.1: an inner boundary must not start with an outer one (nor the reverse,
 * to be safe), or the inner delimiter would also end the outer part.
 */
function assertNotPrefix(inner: string, outer: string): void {
  if (inner.startsWith(outer) || outer.startsWith(inner))
    throw new MultipartError(
      'MULTIPART_BOUNDARY',
      `nested boundaries ${JSON.stringify(inner)} and ${JSON.stringify(outer)} must not be prefixes of each other`,
    );
}

/**
 * Two fresh random boundaries for a PREP response (see {@link createBoundary}).
 *
 * @example
 * ```ts
 * const boundaries = createPrepBoundaries();
 * res.setHeader('Content-Type', `multipart/mixed; boundary="${boundaries.mixed}"`);
 * ```
 */
export function createPrepBoundaries(): PrepBoundaries {
  const mixed = createBoundary();
  let digest = createBoundary();
  while (mixed.startsWith(digest) || digest.startsWith(mixed)) digest = createBoundary();
  return { mixed, digest };
}

function digestOf(b: string | PrepBoundaries): string {
  return typeof b === 'string' ? b : b.digest;
}

/**
 * The first write of a PREP body (RSP-4): part 1 (the base response's representation
 * headers and body; present even without a body, RSP-5), then the opening of part 2 up
 * to the digest's first delimiter:
 *
 *     --M CRLF <part 1 headers> CRLF <body> CRLF --M CRLF
 *     Content-Type: multipart/digest; boundary="D" CRLF CRLF --D
 *
 * It ends right after `--D` (RSP-6).
 *
 * @throws {MultipartError} `MULTIPART_BOUNDARY` for invalid or mutually-prefixed
 *   boundaries, `MULTIPART_HEADER` / `MULTIPART_BODY` as for any part.
 * @example
 * ```ts
 * declare const writer: WritableStreamDefaultWriter<Uint8Array>;
 * const boundaries = createPrepBoundaries();
 * writer.write(encodePrepHead(boundaries, [['Content-Type', 'text/plain']], 'Hello World!'));
 * ```
 */
export function encodePrepHead(
  boundaries: PrepBoundaries,
  part1Headers: MultipartHeaders,
  part1Body?: MultipartBody,
): Uint8Array {
  const { mixed, digest } = boundaries;
  assertValidBoundary(mixed);
  assertValidBoundary(digest);
  assertNotPrefix(digest, mixed);
  const part1 = layoutPart(
    ascii(`--${mixed}`),
    part1Headers,
    part1Body,
    [createNeedle(mixed)],
    ascii(`${CRLF}--${mixed}`),
  );
  // Part 2 stays open: its header block, then the digest's opening delimiter.
  const part2 = ascii(
    `${CRLF}Content-Type: multipart/digest; boundary="${digest}"${CRLF}${CRLF}--${digest}`,
  );
  return concat([part1, part2]);
}

/**
 * One notification as a digest part (RSP-4): `CRLF <part headers> CRLF <message> CRLF --D`.
 * For the default `message/rfc822` pass no part headers (the digest default); any other
 * negotiated type passes `Content-Type`.
 *
 * Pass the {@link PrepBoundaries} rather than the digest boundary alone: then the message
 * is also checked for the outer `--M` delimiter, which would end part 2 for every reader.
 *
 * @throws {MultipartError} `MULTIPART_BODY` when the message contains a delimiter (check
 *   the delta first with {@link containsDelimiter}), `MULTIPART_HEADER` for a bad header.
 * @example
 * ```ts
 * declare const boundaries: PrepBoundaries; // this response's, from createPrepBoundaries()
 * const message = 'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 456\r\n\r\n';
 * const bytes = encodeDigestPart(boundaries, [], message); // written to every subscriber
 * ```
 */
export function encodeDigestPart(
  boundaries: string | PrepBoundaries,
  partHeaders: MultipartHeaders,
  message: MultipartBody,
): Uint8Array {
  const digest = digestOf(boundaries);
  assertValidBoundary(digest);
  const guards = [createNeedle(digest)];
  if (typeof boundaries !== 'string') guards.push(createNeedle(boundaries.mixed));
  return layoutPart(EMPTY, partHeaders, message, guards, ascii(`${CRLF}--${digest}`));
}

/**
 * An empty digest part, `CRLF CRLF CRLF --D`: no headers, no message. PREP allows parts
 * with no notification, so this keeps idle connections (and proxies) alive.
 *
 * @example
 * ```ts
 * declare const boundaries: PrepBoundaries; // this response's, from createPrepBoundaries()
 * const keepAlive = encodeKeepAlive(boundaries); // encode once, write every 30 s
 * ```
 */
export function encodeKeepAlive(boundaries: string | PrepBoundaries): Uint8Array {
  const digest = digestOf(boundaries);
  assertValidBoundary(digest);
  return ascii(`${CRLF}${CRLF}${CRLF}--${digest}`);
}

/**
 * The last write of a PREP body (RSP-7): `-- CRLF --M-- CRLF`. Appended to the `--D` that
 * ended the previous write, it closes the digest (`--D--`), then the mixed body (`--M--`).
 *
 * @example
 * ```ts
 * declare const writer: WritableStreamDefaultWriter<Uint8Array>; // a response body's
 * declare const boundaries: PrepBoundaries; // this response's, from createPrepBoundaries()
 * writer.write(encodePrepClose(boundaries));
 * await writer.close();
 * ```
 */
export function encodePrepClose(boundaries: string | PrepBoundaries): Uint8Array {
  const mixed = typeof boundaries === 'string' ? boundaries : boundaries.mixed;
  assertValidBoundary(mixed);
  return ascii(`--${CRLF}--${mixed}--${CRLF}`);
}
