/**
 * Reading one PREP notifications response: the checks a client makes before processing it
 * (HDR-5, HDR-6, ERR-2..4, RSP-1), then its body as items (RSP-4), each handed over as soon
 * as its part is complete (RSP-6).
 *
 * Liberal in what it reads (PROTOCOL.md): `protocol=PREP` as a token, `expires` as an
 * HTTP-date string, draft -00's bare `multipart/digest` body, empty digest parts
 * (keep-alives), any multipart subtype for part 2, and notification formats other than
 * `message/rfc822` (handed over as raw parts).
 */
import { checkEventsResponse, type EventsField } from '../core/events/index.js';
import { isPrepError } from '../core/errors.js';
import { parseMediaType, type MediaType } from '../core/media-type.js';
import {
  MultipartError,
  defaultPartContentType,
  parseMultipart,
  type MultipartPart,
  type MultipartPartIterator,
} from '../core/multipart/index.js';
import { readNotification } from '../core/notification.js';
import { parseRetryAfter } from './backoff.js';
import { PrepSubscribeError } from './errors.js';
import type { NotificationItem, PartItem, ResponseItem } from './items.js';

/**
 * Options of {@link checkPrepResponse} and {@link readPrepResponse}.
 *
 * @example
 * ```ts
 * import type { ReadPrepResponseOptions } from '@prep-live/client';
 *
 * const options: ReadPrepResponseOptions = { lastEventId: '41.f00d' };
 * ```
 */
export interface ReadPrepResponseOptions {
  /**
   * Whether the request carried `Accept-Events` listing `prep`. Default true; when false,
   * any `Events` makes the response invalid (HDR-6).
   */
  requestedPrep?: boolean;
  /** The `Last-Event-ID` the request sent: then an empty part 1 means the body was omitted (RSP-5). */
  lastEventId?: string;
  /** Largest part header block, in bytes. Default 64 KiB. */
  maxHeaderBytes?: number;
}

/**
 * What {@link checkPrepResponse} learns from a usable notifications response.
 *
 * @example
 * ```ts
 * import type { PrepResponseHead } from '@prep-live/client';
 *
 * const expiresAt = (head: PrepResponseHead) => head.events.expiresAt;
 * ```
 */
export interface PrepResponseHead {
  /** The `Events` field (status 200). */
  events: EventsField;
  /** The body's media type: `multipart/mixed` (draft -01..-03) or `multipart/digest` (-00). */
  media: MediaType;
  /** Its boundary. */
  boundary: string;
}

/**
 * Checks that a response to a notifications request can be processed, and throws a
 * {@link PrepSubscribeError} otherwise: `HTTP_STATUS` for a non-2xx status; `EVENTS_ABSENT`
 * when the server ignored `Accept-Events` (HDR-5); `EVENTS_UNSOLICITED` for `Events` that
 * was not asked for, `EVENTS_UNPARSABLE` / `EVENTS_PROTOCOL` for an `Events` or protocol we
 * do not understand (HDR-6); `EVENTS_STATUS` when the notifications status is not 200
 * (ERR-2, ERR-3); `NOT_MULTIPART` for a body that is not multipart with a boundary (RSP-1).
 * `retryAfterMs` carries `Retry-After` when the response has one.
 *
 * @example
 * ```ts
 * import { checkPrepResponse } from '@prep-live/client';
 *
 * const res = await fetch(url, { headers: { 'Accept-Events': '"prep"' } });
 * const { events } = checkPrepResponse(res); // throws unless notifications are coming
 * console.log(events.expiresAt);
 * ```
 */
export function checkPrepResponse(
  response: Response,
  options: ReadPrepResponseOptions = {},
): PrepResponseHead {
  const headers = response.headers;
  const retry = parseRetryAfter(headers.get('retry-after'));
  const withRetry = (o: { status?: number }): { status?: number; retryAfterMs?: number } =>
    retry === undefined ? o : { ...o, retryAfterMs: retry };
  if (response.status < 200 || response.status > 299) {
    throw new PrepSubscribeError(
      'HTTP_STATUS',
      `the server answered ${response.status} ${response.statusText}`.trim(),
      withRetry({ status: response.status }),
    );
  }
  const check = checkEventsResponse({
    requestedPrep: options.requestedPrep ?? true,
    eventsHeader: headers.get('events'),
    responseDate: headers.get('date'),
  });
  if (!check.ok) {
    switch (check.reason) {
      case 'absent':
        // HDR-5: no Events means the server ignored Accept-Events: no notifications.
        throw new PrepSubscribeError(
          'EVENTS_ABSENT',
          'the response has no Events field: the server does not serve PREP notifications here',
          { status: response.status },
        );
      case 'unsolicited':
        throw new PrepSubscribeError(
          'EVENTS_UNSOLICITED',
          'the response has an Events field but the request asked for no notifications (HDR-6)',
          { status: response.status },
        );
      case 'unparsable':
        throw new PrepSubscribeError(
          'EVENTS_UNPARSABLE',
          `the Events field is not understood: ${JSON.stringify(headers.get('events'))} (HDR-6)`,
          { status: response.status },
        );
      case 'unknown-protocol':
        throw new PrepSubscribeError(
          'EVENTS_PROTOCOL',
          `the Events field names another protocol: ${JSON.stringify(headers.get('events'))} (HDR-6)`,
          { status: response.status },
        );
      case 'status':
        // ERR-4: this is the notifications' status; the body is the base response alone.
        throw new PrepSubscribeError(
          'EVENTS_STATUS',
          `the server refused notifications with Events status ${check.status ?? '?'}`,
          withRetry(check.status === undefined ? {} : { status: check.status }),
        );
    }
  }
  const contentType = headers.get('content-type');
  let media: MediaType | undefined;
  try {
    media = contentType === null ? undefined : parseMediaType(contentType);
  } catch {
    media = undefined;
  }
  const boundary = media?.parameters.get('boundary');
  if (
    media === undefined ||
    (media.essence !== 'multipart/mixed' && media.essence !== 'multipart/digest') ||
    boundary === undefined ||
    boundary === ''
  ) {
    throw new PrepSubscribeError(
      'NOT_MULTIPART',
      `expected a multipart/mixed body with a boundary (RSP-1), got ${JSON.stringify(contentType)}`,
      { status: response.status },
    );
  }
  return { events: check.events, media, boundary };
}

/**
 * Reads a PREP notifications response: checks it (see {@link checkPrepResponse}), then
 * yields the representation (part 1), then each notification as soon as its part is
 * complete. Ends when the digest's close delimiter arrives (the stream expired, or the
 * resource was deleted: RSP-7). Throws a {@link PrepSubscribeError}: the check's codes;
 * `NOT_DIGEST` when part 2 is not a multipart; `STREAM_MALFORMED` for a body that does not
 * parse; `NETWORK` when the body breaks off before the close delimiter.
 *
 * Empty digest parts (keep-alives) are skipped. A `message/rfc822` part is parsed as a
 * notification; other formats, and rfc822 parts that do not parse, come as `part` items.
 * Breaking out of the loop cancels the body.
 *
 * @example
 * ```ts
 * import { readPrepResponse } from '@prep-live/client';
 *
 * const res = await fetch(url, { headers: { 'Accept-Events': '"prep"' } });
 * for await (const item of readPrepResponse(res)) {
 *   if (item.kind === 'representation') console.log(new TextDecoder().decode(item.body));
 *   else if (item.kind === 'notification') console.log(item.method, item.eventId);
 * }
 * ```
 */
export async function* readPrepResponse(
  response: Response,
  options: ReadPrepResponseOptions = {},
): AsyncGenerator<ResponseItem, void, undefined> {
  let head: PrepResponseHead;
  try {
    head = checkPrepResponse(response, options);
  } catch (e) {
    await response.body?.cancel().catch(noop);
    throw e;
  }
  const body = response.body;
  if (body === null) {
    throw new PrepSubscribeError('NOT_MULTIPART', 'the response has no body', {
      status: response.status,
    });
  }
  const parseOptions =
    options.maxHeaderBytes === undefined ? {} : { maxHeaderBytes: options.maxHeaderBytes };
  const { events, media, boundary } = head;
  const outer = parseMultipart(body, boundary, parseOptions);
  try {
    if (media.essence === 'multipart/digest') {
      // Draft -00: the body was skipped, so there is no part 1, only the digest.
      const headers = new Headers();
      for (const name of ['etag', 'last-modified']) {
        const value = response.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      yield {
        kind: 'representation',
        status: response.status,
        headers,
        body: new Uint8Array(0),
        omitted: true,
        events,
      };
      yield* readDigest(outer, 'digest');
      return;
    }
    // RSP-4: part 1, the base response.
    const first = await outer.next();
    if (first.done === true)
      throw new PrepSubscribeError('NOT_DIGEST', 'the multipart body has no part (RSP-4)');
    const representation = await first.value.bytes();
    yield {
      kind: 'representation',
      status: response.status,
      headers: first.value.headers,
      body: representation,
      omitted: options.lastEventId !== undefined && representation.length === 0,
      events,
    };
    // RSP-4: part 2, the digest of notifications.
    const second = await outer.next();
    if (second.done === true) {
      throw new PrepSubscribeError(
        'NOT_DIGEST',
        'the multipart body ended after part 1: no notifications part (RSP-4)',
      );
    }
    const digest = innerMultipart(second.value);
    yield* readDigest(
      parseMultipart(second.value.body, digest.boundary, parseOptions),
      digest.subtype,
    );
    // The digest is closed (RSP-7): what follows is the outer close delimiter, of no
    // interest; the `finally` below lets go of the body without waiting for it.
  } catch (e) {
    throw toSubscribeError(e);
  } finally {
    await outer.return();
  }
}

/** Part 2's media type, which must be a multipart (RSP-4 says `multipart/digest`). */
function innerMultipart(part: MultipartPart): { subtype: string; boundary: string } {
  const value = part.headers.get('content-type');
  let media: MediaType | undefined;
  try {
    media = value === null ? undefined : parseMediaType(value);
  } catch {
    media = undefined;
  }
  const boundary = media?.parameters.get('boundary');
  if (media?.type !== 'multipart' || boundary === undefined || boundary === '') {
    throw new PrepSubscribeError(
      'NOT_DIGEST',
      `part 2 should be multipart/digest with a boundary (RSP-4), got ${JSON.stringify(value)}`,
    );
  }
  return { subtype: media.subtype, boundary };
}

/** The notifications of a digest, one item per non-empty part. */
async function* readDigest(
  parts: MultipartPartIterator,
  subtype: string,
): AsyncGenerator<NotificationItem | PartItem, void, undefined> {
  try {
    for (;;) {
      const next = await parts.next();
      if (next.done === true) return;
      const part = next.value;
      const raw = await part.bytes();
      // A part holds at most one notification: an empty one (a keep-alive) holds none.
      if (isBlank(raw)) continue;
      const declared = part.headers.get('content-type');
      const type = essenceOf(declared ?? defaultPartContentType(subtype));
      if (type !== 'message/rfc822') {
        yield { kind: 'part', type, headers: part.headers, raw };
        continue;
      }
      yield notificationItem(raw, part.headers);
    }
  } finally {
    await parts.return();
  }
}

function notificationItem(raw: Uint8Array, headers: Headers): NotificationItem | PartItem {
  let n;
  try {
    // Without Event-ID too: node-solid-server sends Method and Date only.
    n = readNotification(raw);
  } catch (e) {
    if (!isPrepError(e)) throw e;
    return { kind: 'part', type: 'message/rfc822', headers, raw, error: e };
  }
  const item: NotificationItem = { kind: 'notification', method: n.method, date: n.date, raw };
  if (n.eventId !== undefined) item.eventId = n.eventId;
  if (n.etag !== undefined) item.etag = n.etag;
  // N822-6 says Content-Location; express-prep sends Location for the same thing.
  const location =
    n.contentLocation ?? n.extraHeaders?.find(([name]) => name.toLowerCase() === 'location')?.[1];
  if (location !== undefined) item.contentLocation = location;
  if (n.delta !== undefined) item.delta = { type: n.delta.contentType, body: n.delta.body };
  if (n.extraHeaders !== undefined) item.extraHeaders = n.extraHeaders;
  return item;
}

/** Maps what reading the body threw to the client's codes. */
function toSubscribeError(e: unknown): unknown {
  if (e instanceof PrepSubscribeError) return e;
  if (e instanceof MultipartError) {
    return e.code === 'MULTIPART_TRUNCATED'
      ? new PrepSubscribeError(
          'NETWORK',
          'the stream ended before its close delimiters (the connection dropped)',
          { cause: e },
        )
      : new PrepSubscribeError('STREAM_MALFORMED', `the body does not parse: ${e.message}`, {
          cause: e,
        });
  }
  // A body that errors mid-way: the connection broke (or the request was aborted).
  const message = e instanceof Error ? e.message : String(e);
  return new PrepSubscribeError('NETWORK', `the stream broke off: ${message}`, { cause: e });
}

function essenceOf(type: string): string {
  try {
    return parseMediaType(type).essence;
  } catch {
    return type.split(';')[0]!.trim().toLowerCase();
  }
}

/** Only line breaks and blanks: no message at all. */
function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) return false;
  return true;
}

function noop(): void {}
