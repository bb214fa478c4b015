import { PrepError } from '@prep-live/client/core';

/**
 * Stable codes of {@link StoreError}. The server layer maps them to responses; `status` is the
 * HTTP status the code suggests where one fits.
 *
 * - `STORE_EXISTS` (409): a create-only write (POST) names a path that exists.
 * - `STORE_NOT_FOUND` (404): a delete names a path that does not exist.
 * - `STORE_NOT_EMPTY` (409): a delete names a container that still has members.
 * - `STORE_CONFLICT` (409): a write would put a member under a non-container resource, or give
 *   one name both a container (`/a/`) and a non-container (`/a`).
 * - `STORE_INVALID`: a malformed path or a body sent to a container (400), deleting the root
 *   (405), or a change the calling code got wrong (no status: a server error).
 * - `STORE_CLOSED` (503): the store is not open.
 * - `STORE_UNAVAILABLE` (503): the backend cannot be loaded or reached.
 * - `STORE_SCHEMA` (500): the database was written by a newer schema than this code knows.
 *
 * @example
 * ```ts
 * const code: StoreErrorCode = 'STORE_NOT_EMPTY';
 * ```
 */
export type StoreErrorCode =
  | 'STORE_EXISTS'
  | 'STORE_NOT_FOUND'
  | 'STORE_NOT_EMPTY'
  | 'STORE_CONFLICT'
  | 'STORE_INVALID'
  | 'STORE_CLOSED'
  | 'STORE_UNAVAILABLE'
  | 'STORE_SCHEMA';

/**
 * An error raised by a store itself (never by `WriteRequest.apply`, whose errors propagate
 * unchanged). A {@link PrepError}, so the server layer turns it into a response like any other:
 * a stable `code` and, where one fits, an HTTP `status`.
 *
 * @example
 * ```ts
 * try {
 *   await store.write({ path: '/c/', apply: () => ({ op: 'delete', path: '/c/', event: { method: 'DELETE', status: 204 } }) });
 * } catch (e) {
 *   if (e instanceof StoreError && e.code === 'STORE_NOT_EMPTY') console.log(e.status); // 409
 * }
 * ```
 */
export class StoreError extends PrepError {
  /** The stable code, listed in {@link StoreErrorCode}. */
  declare readonly code: StoreErrorCode;

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}
