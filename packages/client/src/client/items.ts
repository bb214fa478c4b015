/**
 * What a PREP subscription yields, in order: the representation (part 1 of the body,
 * RSP-4), then one item per notification as soon as its part is complete (RSP-6), and the
 * reconnects and the end, so callers can report them.
 */
import type { EventsField } from '../core/events/index.js';
import type { PrepError } from '../core/errors.js';

/**
 * The base response: part 1 of the notifications response (RSP-4), or, for a draft -00
 * body (a bare `multipart/digest`), an empty stand-in with `omitted: true`.
 *
 * @example
 * ```ts
 * import type { RepresentationItem } from '@prep-live/client';
 *
 * function show(item: RepresentationItem): string {
 *   return item.omitted ? '(body skipped)' : new TextDecoder().decode(item.body);
 * }
 * ```
 */
export interface RepresentationItem {
  kind: 'representation';
  /** The HTTP status of the response (the base status, ERR-4). */
  status: number;
  /** Part 1's header fields: `Content-Type`, `ETag`, `Last-Modified`, ... */
  headers: Headers;
  /** The representation; empty when `omitted`. */
  body: Uint8Array;
  /**
   * True when the server skipped the body (RSP-5: the request's `Last-Event-ID` was the
   * latest event, or `*`; EXT-1: missed events are replayed instead). Read as: a
   * `Last-Event-ID` was sent and part 1 has no body, or the body is draft -00's bare digest.
   */
  omitted: boolean;
  /** The response's `Events` field, as read (status 200; `expires`, `expiresAt` when sent). */
  events: EventsField;
}

/**
 * A `message/rfc822` notification (N822-4..8), parsed.
 *
 * @example
 * ```ts
 * import type { NotificationItem } from '@prep-live/client';
 *
 * function describe(n: NotificationItem): string {
 *   return `${n.method} ${n.contentLocation ?? '(this resource)'} at ${n.date.toISOString()} (${n.eventId ?? 'no id'})`;
 * }
 * ```
 */
export interface NotificationItem {
  kind: 'notification';
  /** The method of the request that caused the event (N822-4). */
  method: string;
  /** When the event completed (N822-4). */
  date: Date;
  /**
   * The event's id (N822-4); what a resume sends as `Last-Event-ID`. Absent when the server
   * sent none (node-solid-server 5.8 does not): a reconnect after such an event sends no
   * `Last-Event-ID` and gets the whole representation again.
   */
  eventId?: string;
  /** The entity tag of the representation after the event (N822-5). */
  etag?: string;
  /**
   * The other resource the request modified (N822-6). Read from `Content-Location`, else
   * from `Location`, which express-prep sends instead.
   */
  contentLocation?: string;
  /** The delta, when one was asked for and sent (N822-8). */
  delta?: { type: string; body: Uint8Array };
  /** Other header fields of the message, in order. */
  extraHeaders?: [string, string][];
  /** The message's bytes, as received. */
  raw: Uint8Array;
}

/**
 * A digest part that is not a `message/rfc822` notification: another negotiated format
 * (JSON-LD, Turtle, ...), given as is; or a `message/rfc822` part that does not parse
 * (no `Method` or no `Date`; `error` says why; its event is unknown).
 *
 * @example
 * ```ts
 * import type { PartItem } from '@prep-live/client';
 *
 * function read(part: PartItem): unknown {
 *   return part.type === 'application/ld+json' ? JSON.parse(new TextDecoder().decode(part.raw)) : part.raw;
 * }
 * ```
 */
export interface PartItem {
  kind: 'part';
  /** The part's media type: its `Content-Type`, else the digest default `message/rfc822`. */
  type: string;
  /** The part's header fields. */
  headers: Headers;
  /** The part body. */
  raw: Uint8Array;
  /** Set when a `message/rfc822` part could not be read as a notification. */
  error?: PrepError;
}

/**
 * Why a subscription reconnects:
 * - `expired`: the server ended the stream (both close delimiters, RSP-7), which it does
 *   when `expires` elapses, on shutdown, or for a subscriber that fell behind;
 * - `dropped`: the request failed or the connection broke;
 * - `unavailable`: the server said to come back later (HTTP 5xx, 408, 429, or `Events`
 *   status 429 or 503 with `Retry-After`, ERR-3).
 *
 * @example
 * ```ts
 * import type { ReconnectReason } from '@prep-live/client';
 *
 * const quiet: ReconnectReason[] = ['expired'];
 * ```
 */
export type ReconnectReason = 'expired' | 'dropped' | 'unavailable';

/**
 * Reported before each reconnect, then the subscription waits `delay` ms and sends the
 * request again with `Last-Event-ID: lastEventId` (when an event was seen).
 *
 * @example
 * ```ts
 * import type { ReconnectItem } from '@prep-live/client';
 *
 * const log = (r: ReconnectItem) => console.warn(`reconnect #${r.attempt} in ${r.delay} ms (${r.reason})`);
 * ```
 */
export interface ReconnectItem {
  kind: 'reconnect';
  /** 1 for the first attempt after a working connection, then 2, 3, ... */
  attempt: number;
  /** Milliseconds until the attempt: full-jitter backoff, or the server's `Retry-After`. */
  delay: number;
  reason: ReconnectReason;
  /** The `Last-Event-ID` the attempt sends, if any. */
  lastEventId: string | undefined;
  /** What failed, for `dropped` and `unavailable`. */
  error?: unknown;
}

/**
 * The last item of a subscription that ends without an error:
 * - `deleted`: the resource was deleted and the server closed the stream (RSP-7);
 * - `expired`: the stream ended and reconnecting is off (or out of retries);
 * - `closed`: `close()` was called or the signal aborted.
 *
 * @example
 * ```ts
 * import type { EndItem } from '@prep-live/client';
 *
 * const gone = (end: EndItem) => end.reason === 'deleted';
 * ```
 */
export interface EndItem {
  kind: 'end';
  reason: 'deleted' | 'expired' | 'closed';
}

/**
 * Everything a subscription yields. Switch on `kind`.
 *
 * @example
 * ```ts
 * import { subscribe, type SubscriptionItem } from '@prep-live/client';
 *
 * function handle(item: SubscriptionItem): void {
 *   switch (item.kind) {
 *     case 'representation': console.log('state', item.headers.get('etag')); break;
 *     case 'notification': console.log(item.method, item.eventId); break;
 *     case 'part': console.log('a', item.type, 'notification'); break;
 *     case 'reconnect': console.log('reconnecting in', item.delay); break;
 *     case 'end': console.log('ended:', item.reason); break;
 *   }
 * }
 * for await (const item of subscribe('https://example.org/doc')) handle(item);
 * ```
 */
export type SubscriptionItem =
  RepresentationItem | NotificationItem | PartItem | ReconnectItem | EndItem;

/**
 * What one notifications response yields (see `readPrepResponse`).
 *
 * @example
 * ```ts
 * import type { ResponseItem } from '@prep-live/client';
 *
 * const isEvent = (item: ResponseItem) => item.kind !== 'representation';
 * ```
 */
export type ResponseItem = RepresentationItem | NotificationItem | PartItem;
