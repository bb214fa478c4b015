/**
 * The PREP notification (draft-gupta-httpbis-per-resource-events-03 §"message/rfc822") and
 * its wire form: a `message/rfc822` message whose header block says what happened
 * (N822-4..6) and whose body, only when the client asked for deltas, is the delta (N822-7/8).
 */
import { PrepError } from './errors.js';
import { formatHttpDate, parseHttpDate } from './http-date.js';

/**
 * One notification: what a resource server tells subscribers after a change.
 *
 * @example
 * ```ts
 * import type { Notification } from './notification.js';
 *
 * const n: Notification = {
 *   method: 'PUT',
 *   date: new Date(Date.UTC(2023, 3, 1, 10, 11, 12)),
 *   eventId: '1234',
 *   etag: '"abc123"',
 * };
 * ```
 */
export interface Notification {
  /** N822-4: the method of the request that caused the event (`PUT`, `PATCH`, ...). */
  method: string;
  /** N822-4: when the event completed. Sent with whole-second precision. */
  date: Date;
  /** N822-4: opaque, unique per resource; what a client sends back in `Last-Event-ID`. */
  eventId: string;
  /** N822-5: the entity tag, quoted (`"abc"` or `W/"abc"`), of the representation sent. */
  etag?: string;
  /** N822-6: the other resource the request modified (a member created by POST, ...). */
  contentLocation?: string;
  /** N822-8: the delta, only when the client asked for one (N822-7). */
  delta?: { contentType: string; body: Uint8Array };
  /** Other header fields, in order. Parsing puts every header it does not know here. */
  extraHeaders?: [string, string][];
}

const CODE_HEADER = 'NOTIFICATION_HEADER';
const CODE_INVALID = 'NOTIFICATION_INVALID';

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// RFC 9110 §5.5 field-value, restricted to US-ASCII (RFC 9110 asks new fields to be): no
// CR, LF or NUL, so nothing can start a new header line (header injection), and no leading
// or trailing whitespace, which a parser would trim away.
const FIELD_VALUE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/;
// RFC 9110 §8.8.3 entity-tag, ASCII only.
const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e]*"$/;
// A URI reference has no whitespace at all (RFC 3986).
const URI_REFERENCE = /^[\x21-\x7e]+$/;
// RFC 9110 §8.3.1 media-type: type "/" subtype, then parameters; checked with FIELD_VALUE too.
const MEDIA_TYPE =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[\x20-\x7e\t]*)?$/;

// Lower-case names of the fields the model has properties for; not allowed in extraHeaders.
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'method',
  'date',
  'event-id',
  'etag',
  'e-tag',
  'content-location',
  'content-type',
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Serializes a notification to the bytes of its `message/rfc822` form, exactly as the
 * draft's examples: `Method`, `Date` (IMF-fixdate), `Event-ID` (N822-4), then `ETag`
 * (N822-5) and `Content-Location` (N822-6) when given, then any extra headers, then with a
 * delta its `Content-Type` (N822-8); CRLF line ends, a blank line, and the delta as body.
 * Without a delta there is no body (N822-7). One allocation besides the header string: call
 * it once per (resource, format) and event, never per subscriber.
 *
 * Throws a {@link PrepError} `NOTIFICATION_HEADER` when a value would not be a valid
 * header: CR or LF (header injection), other controls, non-ASCII, or bad syntax.
 *
 * @example
 * ```ts
 * import { serializeNotification } from './notification.js';
 *
 * const bytes = serializeNotification({
 *   method: 'PUT',
 *   date: new Date(Date.UTC(2023, 3, 1, 10, 11, 12)),
 *   eventId: '1234',
 *   etag: '"abc123"',
 * });
 * new TextDecoder().decode(bytes);
 * // 'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1234\r\nETag: "abc123"\r\n\r\n'
 * ```
 */
export function serializeNotification(n: Notification): Uint8Array {
  // N822-4: the three MUST headers.
  let head =
    'Method: ' +
    check('Method', n.method, TOKEN) +
    '\r\nDate: ' +
    date(n.date) +
    '\r\nEvent-ID: ' +
    check('Event-ID', n.eventId, FIELD_VALUE) +
    '\r\n';
  // N822-5: the entity tag of the representation the subscriber received.
  if (n.etag !== undefined) head += 'ETag: ' + check('ETag', n.etag, ENTITY_TAG) + '\r\n';
  // N822-6: the other resource the request modified.
  if (n.contentLocation !== undefined) {
    head += 'Content-Location: ' + check('Content-Location', n.contentLocation, URI_REFERENCE);
    head += '\r\n';
  }
  if (n.extraHeaders !== undefined) {
    for (const [name, value] of n.extraHeaders) {
      if (typeof name !== 'string' || !TOKEN.test(name))
        throw headerError(`invalid header name ${JSON.stringify(name)}`);
      if (KNOWN_FIELDS.has(name.toLowerCase())) {
        throw headerError(`${name} is a Notification property, not an extra header`);
      }
      head += name + ': ' + check(name, value, FIELD_VALUE) + '\r\n';
    }
  }
  // N822-8: the delta's media type inside the message, right before it.
  const body = n.delta?.body;
  if (n.delta !== undefined) {
    const type = check('Content-Type', n.delta.contentType, FIELD_VALUE);
    head += 'Content-Type: ' + check('Content-Type', type, MEDIA_TYPE) + '\r\n';
  }
  head += '\r\n';
  // Every character was checked to be ASCII, so string length is byte length.
  const out = new Uint8Array(head.length + (body?.length ?? 0));
  encoder.encodeInto(head, out);
  // N822-7: a body only with a delta.
  if (body !== undefined) out.set(body, head.length);
  return out;
}

/**
 * A notification as a client reads it off the wire: {@link Notification} whose `eventId` may
 * be missing. node-solid-server (through express-prep) sends `Method` and `Date` only; such
 * an event is still news, but nothing can resume after it (REQ-2 needs an id).
 *
 * @example
 * ```ts
 * import type { ReceivedNotification } from './notification.js';
 *
 * const n: ReceivedNotification = { method: 'DELETE', date: new Date() };
 * ```
 */
export interface ReceivedNotification extends Omit<Notification, 'eventId'> {
  /** N822-4: absent when the server sent none. */
  eventId?: string;
}

/**
 * Parses the bytes of a `message/rfc822` notification, liberally: header names in any case,
 * CRLF or bare LF line ends, obsolete line folding, the draft example's `E-tag` spelling, any
 * HTTP date form, and unknown headers (kept in `extraHeaders`, in order). A body is the
 * delta, typed by the message's `Content-Type` (RFC 2045's `text/plain` when absent); a body
 * of only line ends without a `Content-Type` is no body.
 *
 * Throws a {@link PrepError} `NOTIFICATION_INVALID` when `Method`, `Date` or `Event-ID` is
 * missing or unusable (N822-4 makes them MUST); {@link readNotification} takes one without
 * `Event-ID`.
 *
 * @example
 * ```ts
 * import { parseNotification } from './notification.js';
 *
 * const n = parseNotification(
 *   new TextEncoder().encode('Method: PUT\nDate: Sat, 01 Apr 2023 10:11:12 GMT\nEvent-ID: 1234\n\n'),
 * );
 * n.method; // 'PUT'
 * n.eventId; // '1234'
 * ```
 */
export function parseNotification(bytes: Uint8Array): Notification {
  const n = readNotification(bytes);
  if (n.eventId === undefined) throw invalid('the Event-ID header is missing (N822-4)');
  return n as Notification;
}

/**
 * {@link parseNotification} as a client reads what servers really send: a notification
 * without `Event-ID` (node-solid-server 5.8) comes without `eventId` instead of failing.
 * `Method` and `Date` are still required: without them there is no event to speak of.
 *
 * @example
 * ```ts
 * import { readNotification } from './notification.js';
 *
 * const n = readNotification(
 *   new TextEncoder().encode('Method: DELETE\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\n\r\n'),
 * );
 * n.method; // 'DELETE'
 * n.eventId; // undefined
 * ```
 */
export function readNotification(bytes: Uint8Array): ReceivedNotification {
  // Find the end of the header block: the first empty line, with CRLF or bare LF ends.
  let bodyStart = bytes.length;
  let headEnd = bytes.length;
  let lineStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    const lineEnd = i > lineStart && bytes[i - 1] === 0x0d ? i - 1 : i;
    if (lineEnd === lineStart) {
      headEnd = lineStart;
      bodyStart = i + 1;
      break;
    }
    lineStart = i + 1;
  }
  const lines = decoder.decode(bytes.subarray(0, headEnd)).split(/\r?\n/);

  // Each field's value as its non-empty pieces: the first line's, then one per folded line.
  const pieces: [string, string[]][] = [];
  for (const line of lines) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && pieces.length > 0) {
      // RFC 9112 §5.2: replace obsolete line folding with a space. Collected and joined once
      // at the end: re-trimming the growing value per line made many folds quadratic.
      const piece = line.trim();
      if (piece !== '') pieces[pieces.length - 1]![1].push(piece);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header line: ignore it rather than reject the event
    const value = line.slice(colon + 1).trim();
    pieces.push([line.slice(0, colon).trim(), value === '' ? [] : [value]]);
  }
  const fields = pieces.map(([name, parts]): [string, string] => [name, parts.join(' ')]);

  let method: string | undefined;
  let dateText: string | undefined;
  let eventId: string | undefined;
  let etag: string | undefined;
  let contentLocation: string | undefined;
  let contentType: string | undefined;
  const extra: [string, string][] = [];
  // The first of repeated known fields wins; the rest are dropped.
  for (const field of fields) {
    switch (field[0].toLowerCase()) {
      case 'method':
        method ??= field[1];
        break;
      case 'date':
        dateText ??= field[1];
        break;
      case 'event-id':
        eventId ??= field[1];
        break;
      case 'etag':
      case 'e-tag': // the draft's examples spell it so
        etag ??= field[1];
        break;
      case 'content-location':
        contentLocation ??= field[1];
        break;
      case 'content-type':
        contentType ??= field[1];
        break;
      default:
        extra.push(field);
    }
  }

  // N822-4: Method, Date and Event-ID are MUST.
  if (!method) throw invalid('the Method header is missing (N822-4)');
  if (dateText === undefined) throw invalid('the Date header is missing (N822-4)');
  const date = parseHttpDate(dateText);
  if (date === undefined)
    throw invalid(`the Date header ${JSON.stringify(dateText)} is not a date`);
  const n: ReceivedNotification = { method, date };
  if (eventId) n.eventId = eventId;
  if (etag !== undefined) n.etag = etag;
  if (contentLocation !== undefined) n.contentLocation = contentLocation;
  if (contentType !== undefined) {
    n.delta = { contentType, body: bytes.slice(bodyStart) };
  } else if (!onlyLineEnds(bytes, bodyStart)) {
    // N822-8 wants a Content-Type; without one MIME says text/plain (RFC 2045 §5.2).
    n.delta = { contentType: 'text/plain', body: bytes.slice(bodyStart) };
  }
  if (extra.length > 0) n.extraHeaders = extra;
  return n;
}

function check(name: string, value: string, syntax: RegExp): string {
  if (typeof value !== 'string' || !syntax.test(value)) {
    throw headerError(`invalid ${name} value ${JSON.stringify(value)}`);
  }
  return value;
}

function date(d: Date): string {
  try {
    return formatHttpDate(d);
  } catch (e) {
    throw headerError(`invalid Date: ${(e as Error).message}`, e);
  }
}

function onlyLineEnds(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++)
    if (bytes[i] !== 0x0d && bytes[i] !== 0x0a) return false;
  return true;
}

function headerError(message: string, cause?: unknown): PrepError {
  return new PrepError(
    CODE_HEADER,
    `notification: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function invalid(message: string): PrepError {
  return new PrepError(CODE_INVALID, `notification: ${message}`);
}
