/**
 * `useResource()`: a React component's view of a live JSON resource, kept current by one
 * shared `live()` copy per resource (see {@link ResourceStore}).
 */
import { useCallback, useContext, useMemo, useSyncExternalStore } from 'react';
import type { ResourceOptions } from './resource-key.js';
import { IDLE, SERVER_LOADING, type ResourceState } from './resource-state.js';
import { ResourceStoreContext } from './resource-store-context.js';

/**
 * Options of {@link useResource}: those of the live copy, which components share only when
 * they are equal ({@link ResourceOptions}), and `suspense`.
 *
 * @example
 * ```ts
 * import type { UseResourceOptions } from '@prep-live/react';
 *
 * const options: UseResourceOptions = { suspense: true, whenDeleted: 'watch' };
 * ```
 */
export interface UseResourceOptions extends ResourceOptions {
  /**
   * Suspend (throw a promise to the nearest `<Suspense>`) until the first state is known.
   * Not on the server nor while hydrating: there the hook renders `loading`, as without it.
   * A failure is not thrown: it comes as status `error`. Default false.
   */
  suspense?: boolean;
}

const noSubscription = (): (() => void) => () => undefined;
const idle = (): ResourceState<never> => IDLE;
const serverLoading = (): ResourceState<never> => SERVER_LOADING;

/**
 * The live state of the JSON resource at `url`: `{ value, etag, status, error }`, current
 * with every change the server announces. Components showing the same resource with the same
 * options share one stream, opened when the first mounts and closed when the last unmounts.
 * On the server it fetches nothing and renders `loading`. `null` or `undefined` as `url`
 * renders `idle` and opens nothing. Relative URLs are resolved against the page's.
 *
 * @example
 * ```ts
 * import { createElement } from 'react';
 * import { useResource } from '@prep-live/react';
 *
 * function Title({ url }: { url: string }) {
 *   const { value, status } = useResource<{ title: string }>(url);
 *   return createElement('h1', { 'data-status': status }, value?.title ?? '…');
 * }
 * ```
 */
export function useResource<T = unknown>(
  url: string | URL | null | undefined,
  options: UseResourceOptions = {},
): ResourceState<T> {
  const store = useContext(ResourceStoreContext);
  const key = url === null || url === undefined ? undefined : store.keyOf(url, options);
  // The request a key stands for, as the render that first had it gave it: equal keys are
  // equal requests, so a new options object each render opens nothing new.
  const request = useMemo(
    () => (url === null || url === undefined ? undefined : { url, options }),
    [store, key],
  );
  const subscribe = useCallback(
    (onChange: () => void) =>
      request === undefined
        ? noSubscription()
        : store.subscribe(request.url, request.options, onChange),
    [store, request],
  );
  const getSnapshot = useCallback(
    () => (request === undefined ? IDLE : store.getSnapshot(request.url, request.options)),
    [store, request],
  );
  const snapshot = useSyncExternalStore(
    subscribe,
    getSnapshot,
    request === undefined ? idle : serverLoading,
  );
  // SERVER_LOADING: rendered on the server or hydrating, where nothing may be fetched.
  if (options.suspense === true && request !== undefined && snapshot !== SERVER_LOADING) {
    const pending = store.pending(request.url, request.options);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- Suspense waits on a thrown promise
    if (pending !== undefined) throw pending;
  }
  return snapshot as ResourceState<T>;
}
