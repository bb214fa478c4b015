/**
 * What `useResource()` returns: the newest state of a live resource and what the UI should
 * say about it.
 */

/**
 * Where a live resource stands, as a UI shows it:
 * - `idle`: no URL was given (`useResource(null)`), nothing is fetched;
 * - `loading`: no state yet (also what the server renders: it fetches nothing);
 * - `live`: `value` is current and the stream is open;
 * - `reconnecting`: the stream broke or expired and is being opened again; `value` is the
 *   last one known (or `undefined` if none came yet);
 * - `deleted`: the resource does not exist (any more); with `whenDeleted: 'watch'` it is
 *   watched until it exists again, and the status goes back to `live`;
 * - `closed`: the stream ended and will not reopen (reconnecting is off or out of retries);
 * - `error`: the live copy failed (`error` says why; a resource missing at the start is one,
 *   with status 404, unless `whenDeleted: 'watch'`).
 *
 * @example
 * ```ts
 * import type { ResourceStatus } from '@prep-live/react';
 *
 * const label: Record<ResourceStatus, string> = {
 *   idle: '', loading: 'Loading…', live: 'Live', reconnecting: 'Reconnecting…',
 *   deleted: 'Deleted', closed: 'Offline', error: 'Failed',
 * };
 * ```
 */
export type ResourceStatus =
  'idle' | 'loading' | 'live' | 'reconnecting' | 'deleted' | 'closed' | 'error';

/**
 * The state of a live resource: one object per state, replaced (never changed) when the
 * state changes, so it can be compared with `===`.
 *
 * @example
 * ```ts
 * import type { ResourceState } from '@prep-live/react';
 *
 * const title = (s: ResourceState<{ title: string }>) =>
 *   s.status === 'error' ? String(s.error) : (s.value?.title ?? '…');
 * ```
 */
export interface ResourceState<T> {
  /** The newest value known; `undefined` before the first and when the resource does not exist. */
  readonly value: T | undefined;
  /** The ETag of `value` (N822-5), when the server sent one: send it as `If-Match` to write. */
  readonly etag: string | undefined;
  readonly status: ResourceStatus;
  /** What ended the live copy, with status `error`. */
  readonly error: unknown;
}

function state(status: ResourceStatus): ResourceState<never> {
  return Object.freeze({ value: undefined, etag: undefined, status, error: undefined });
}

/** The state of `useResource(null)`. */
export const IDLE = state('idle');
/** The first state of a shared resource in the browser. */
export const LOADING = state('loading');
/**
 * What the server renders and what hydration reads: `loading`, but another object than
 * {@link LOADING}, so the hook can tell that it runs on the server (or hydrates) and must
 * neither fetch nor suspend.
 */
export const SERVER_LOADING = state('loading');
