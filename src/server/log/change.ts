import type { Representation } from '@prep-live/client/core';
import { serializeNotification } from '@prep-live/client/core';

/**
 * A representation an application hands over for deltas: its media type and bytes (text is
 * sent as UTF-8).
 *
 * @example
 * ```ts
 * const after: ChangeRepresentation = { contentType: 'application/json', body: '{"done":true}' };
 * ```
 */
export interface ChangeRepresentation {
  contentType: string;
  body: Uint8Array | string;
}

/**
 * A change an application made to one of its resources, as it tells the PREP engine about
 * it (`prep.notify(change)`), once the change is applied.
 *
 * - `path` is the resource whose subscribers are told: the request target.
 * - `contentLocation` (N822-6) is set when the request changed another resource than
 *   `path`: a POST to a container `path` that created the member `contentLocation`, a
 *   member changed by a request on its container. Subscribers of `path` get a notification
 *   with `Content-Location`; subscribers of `contentLocation` hear of it too (a DELETE ends
 *   their streams, RSP-7).
 * - `etag` (N822-5) is `path`'s new entity tag, as a GET of it now answers; absent or null
 *   when it has none (after DELETE).
 * - `before` / `after` (N822-8) are the representations of the changed resource
 *   (`contentLocation` when given, else `path`) before and after, for subscribers that asked
 *   for deltas; `patch` is a PATCH request's own document, sent as is to those who asked
 *   for deltas of its media type.
 *
 * @example
 * ```ts
 * prep.notify({
 *   method: 'PUT',
 *   path: '/todos/1',
 *   etag: '"v2"',
 *   before: { contentType: 'application/json', body: '{"done":false}' },
 *   after: { contentType: 'application/json', body: '{"done":true}' },
 * });
 * ```
 */
export interface ResourceChange {
  /** N822-2, N822-4: the triggering method, `PUT`, `PATCH`, `POST` or `DELETE` (a token). */
  method: string;
  /** The resource whose subscribers are notified (an absolute path, as `serve` is given). */
  path: string;
  /** N822-5: `path`'s new entity tag (quoted); absent or null after DELETE. */
  etag?: string | null | undefined;
  /** N822-6: the other resource the request modified. */
  contentLocation?: string | undefined;
  /** N822-8: the changed resource's representation before the change. */
  before?: ChangeRepresentation | undefined;
  /** N822-8: the changed resource's representation after the change. */
  after?: ChangeRepresentation | undefined;
  /** N822-8: a PATCH request's own patch document (sent as the delta of its type). */
  patch?: ChangeRepresentation | undefined;
  /** N822-4 `Date`: when the change completed, epoch ms. Default: now. */
  time?: number | undefined;
}

/**
 * Checks that a change can be rendered as a notification, so that a bad value fails the
 * caller of `notify` instead of a broadcast later (header injection, N822-4..6). Throws the
 * core's `PrepError` `NOTIFICATION_HEADER`, or a `TypeError` for a bad path.
 */
export function checkChange(change: ResourceChange): void {
  if (typeof change.path !== 'string' || !change.path.startsWith('/'))
    throw new TypeError(`a change's path must be an absolute path, got ${String(change.path)}`);
  if (change.contentLocation !== undefined && !change.contentLocation.startsWith('/'))
    throw new TypeError(
      `a change's contentLocation must be an absolute path, got ${change.contentLocation}`,
    );
  serializeNotification({
    method: change.method,
    date: new Date(change.time ?? 0),
    eventId: '0',
    ...(change.etag != null ? { etag: change.etag } : {}),
    ...(change.contentLocation !== undefined ? { contentLocation: change.contentLocation } : {}),
  });
}

const utf8 = new TextEncoder();

/** A change representation as bytes. */
export function toRepresentation(r: ChangeRepresentation): Representation {
  return {
    contentType: r.contentType,
    body: typeof r.body === 'string' ? utf8.encode(r.body) : r.body,
  };
}
