/**
 * The client's error: why a PREP subscription could not start or go on, with a stable
 * `code` and, where there is one, the `status` (the HTTP status, or the `Events` status of
 * the notifications, ERR-4).
 */
import { PrepError } from '../core/errors.js';

/**
 * The codes of {@link PrepSubscribeError}:
 *
 * - `HTTP_STATUS`: the response status is not 2xx (`status` is the HTTP status).
 * - `EVENTS_ABSENT`: a 2xx response without `Events`: the server ignored `Accept-Events`
 *   (HDR-5, ERR-1), so it serves no notifications (`status` is the HTTP status).
 * - `EVENTS_UNSOLICITED`: `Events` on a response to a request without `Accept-Events`; the
 *   response is invalid (HDR-6).
 * - `EVENTS_UNPARSABLE`: `Events` is not a Dictionary with `protocol` and `status` (HDR-3,
 *   HDR-6).
 * - `EVENTS_PROTOCOL`: `Events` names a protocol other than PREP (HDR-6).
 * - `EVENTS_STATUS`: the notifications status is not 200 (`status` is that status: 412,
 *   406, 429, 503, ...; ERR-2, ERR-3).
 * - `NOT_MULTIPART`: the body is neither `multipart/mixed` nor (draft -00) `multipart/digest`,
 *   or has no boundary (RSP-1).
 * - `NOT_DIGEST`: the second part of the `multipart/mixed` body is missing or not a
 *   multipart (RSP-4).
 * - `STREAM_MALFORMED`: the multipart body does not parse.
 * - `NETWORK`: the request failed, or the connection dropped before both close delimiters.
 * - `NOT_JSON`: `live()` got a representation that is not JSON.
 * - `NOT_TEXT`: `live(url, { as: 'text' })` got a representation that is not UTF-8 text.
 *
 * @example
 * ```ts
 * import type { PrepSubscribeErrorCode } from './errors.js';
 *
 * const retryable: PrepSubscribeErrorCode[] = ['NETWORK'];
 * ```
 */
export type PrepSubscribeErrorCode =
  | 'HTTP_STATUS'
  | 'EVENTS_ABSENT'
  | 'EVENTS_UNSOLICITED'
  | 'EVENTS_UNPARSABLE'
  | 'EVENTS_PROTOCOL'
  | 'EVENTS_STATUS'
  | 'NOT_MULTIPART'
  | 'NOT_DIGEST'
  | 'STREAM_MALFORMED'
  | 'NETWORK'
  | 'NOT_JSON'
  | 'NOT_TEXT';

/**
 * Options of {@link PrepSubscribeError}.
 *
 * @example
 * ```ts
 * import type { PrepSubscribeErrorOptions } from './errors.js';
 *
 * const options: PrepSubscribeErrorOptions = { status: 503, retryAfterMs: 5000 };
 * ```
 */
export interface PrepSubscribeErrorOptions {
  /** The HTTP status, or the `Events` status for `EVENTS_STATUS`. */
  status?: number;
  /** The response's `Retry-After`, in milliseconds, when it had a usable one. */
  retryAfterMs?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Why a subscription failed. Thrown by the subscription's iterator (and so by `for await`),
 * or passed to `live()`'s `error` event.
 *
 * @example
 * ```ts
 * import { subscribe, PrepSubscribeError } from '@prep-live/client';
 *
 * try {
 *   for await (const item of subscribe('https://example.org/doc')) console.log(item.kind);
 * } catch (e) {
 *   if (e instanceof PrepSubscribeError && e.code === 'EVENTS_STATUS') console.log(e.status); // 406, 412, ...
 * }
 * ```
 */
export class PrepSubscribeError extends PrepError {
  declare readonly code: PrepSubscribeErrorCode;
  /** The response's `Retry-After` in milliseconds, if any (429, 503). */
  readonly retryAfterMs?: number;

  constructor(
    code: PrepSubscribeErrorCode,
    message: string,
    options: PrepSubscribeErrorOptions = {},
  ) {
    const base: { status?: number; cause?: unknown } = {};
    if (options.status !== undefined) base.status = options.status;
    if (options.cause !== undefined) base.cause = options.cause;
    super(code, message, base);
    this.name = 'PrepSubscribeError';
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Whether an HTTP status may change by asking again later (408, 429, 5xx); any other 4xx is
 * the client's fault. Internal to the client.
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from './errors.js';
 *
 * isRetryableStatus(503); // true
 * isRetryableStatus(404); // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
