/**
 * The shared live copies of a React app: one stream per resource (URL and the options that
 * matter), however many components show it, closed when the last of them unmounts.
 */
import { live, type FetchFunction, type LiveOptions } from '@prep-live/client';
import { resourceKey, type ResourceOptions } from './resource-key.js';
import { LOADING, type ResourceState } from './resource-state.js';
import { SharedResource, type LiveSource } from './shared-resource.js';

/**
 * Options of a {@link ResourceStore}.
 *
 * @example
 * ```ts
 * import type { ResourceStoreOptions } from '@prep-live/react';
 *
 * const options: ResourceStoreOptions = { releaseDelayMs: 1000, baseUrl: 'https://example.org/' };
 * ```
 */
export interface ResourceStoreOptions {
  /** The fetch every stream and re-fetch uses (for credentials, say). Default `globalThis.fetch`. */
  fetch?: FetchFunction;
  /**
   * How long a stream stays open after its last component unmounted, so that a component
   * mounted right after (StrictMode's second mount, a route that shows the same resource)
   * takes it over instead of opening another. Default 0: the next task.
   */
  releaseDelayMs?: number;
  /**
   * How long a stream opened by a render that never mounted (a Suspense render that was
   * thrown away) stays open waiting for its component, counted from when it opened and again
   * from its first state. Default 10 000 ms.
   */
  claimTimeoutMs?: number;
  /** The base of relative URLs, for telling that two URLs are the same resource. Default the page's URL. */
  baseUrl?: string | URL;
  /** Opens a live copy. Default {@link live} from `@prep-live/client`; tests pass a fake. */
  live?: (url: string, options: LiveOptions) => LiveSource;
}

/**
 * The shared live copies: what `useResource()` reads. An app has one, the default, unless it
 * gives its components another with `<ResourceStoreProvider store={...}>` (its own fetch,
 * say). Usable without React too: `subscribe` and `getSnapshot` are what
 * `useSyncExternalStore` takes.
 *
 * @example
 * ```ts
 * import { ResourceStore } from '@prep-live/react';
 *
 * const store = new ResourceStore();
 * const stop = store.subscribe('https://example.org/doc', {}, () =>
 *   console.log(store.getSnapshot('https://example.org/doc', {}).value),
 * );
 * // later: the last user gone, the stream closes
 * stop();
 * ```
 */
export class ResourceStore {
  readonly #resources = new Map<string, SharedResource>();
  readonly #options: ResourceStoreOptions;

  constructor(options: ResourceStoreOptions = {}) {
    const { releaseDelayMs = 0, claimTimeoutMs = 10_000 } = options;
    if (!(releaseDelayMs >= 0) || !(claimTimeoutMs >= 0))
      throw new RangeError('releaseDelayMs and claimTimeoutMs must be at least 0');
    this.#options = options;
  }

  /** How many resources are held: used, or waiting for `releaseDelayMs` (each holds one stream at most). */
  get size(): number {
    return this.#resources.size;
  }

  /**
   * The key two requests share a stream by: the absolute URL and the options that matter.
   *
   * @example
   * ```ts
   * store.keyOf('/doc', {}) === store.keyOf('https://example.org/doc', { delta: 'application/json-patch+json' });
   * ```
   */
  keyOf(url: string | URL, options: ResourceOptions = {}): string {
    const base = this.#options.baseUrl ?? globalThis.location?.href;
    return resourceKey(url, options, base === undefined ? undefined : String(base));
  }

  /**
   * Uses the live resource: opens its stream if no one else has, calls `onChange` on every
   * change, and returns the function that stops using it (the stream closes when the last
   * user stops, after `releaseDelayMs`).
   *
   * @example
   * ```ts
   * const stop = store.subscribe('/doc', {}, () => console.log(store.getSnapshot('/doc', {}).status));
   * stop();
   * ```
   */
  subscribe(url: string | URL, options: ResourceOptions, onChange: () => void): () => void {
    return this.#resource(url, options).acquire(onChange);
  }

  /**
   * The current state of the resource; `loading` while nothing uses it. Opens nothing.
   *
   * @example
   * ```ts
   * const { value, status } = store.getSnapshot('/doc', {});
   * ```
   */
  getSnapshot(url: string | URL, options: ResourceOptions = {}): ResourceState<unknown> {
    return this.#resources.get(this.keyOf(url, options))?.snapshot ?? LOADING;
  }

  /**
   * What to wait for before the resource has a state (Suspense): opens its stream and returns
   * a promise that resolves at its first state (or its end); `undefined` once it has one.
   *
   * @example
   * ```ts
   * await store.pending('/doc', {});
   * console.log(store.getSnapshot('/doc', {}).value);
   * ```
   */
  pending(url: string | URL, options: ResourceOptions = {}): Promise<void> | undefined {
    const resource = this.#resource(url, options);
    resource.start();
    return resource.settled ? undefined : resource.firstState;
  }

  /**
   * Closes every stream now, whoever uses them: their components show `closed` with the last
   * value; a resource used afterwards opens a new stream once they have all unmounted.
   *
   * @example
   * ```ts
   * store.close();
   * ```
   */
  close(): void {
    for (const resource of [...this.#resources.values()]) resource.close();
  }

  #resource(url: string | URL, options: ResourceOptions): SharedResource {
    const key = this.keyOf(url, options);
    let resource = this.#resources.get(key);
    if (resource === undefined) {
      const href = String(url);
      const open = this.#options.live ?? live;
      const liveOptions = liveOptionsOf(options, this.#options.fetch);
      resource = new SharedResource(
        key,
        () => open(href, liveOptions),
        (closed) => {
          if (this.#resources.get(closed.key) === closed) this.#resources.delete(closed.key);
        },
        {
          releaseDelayMs: this.#options.releaseDelayMs ?? 0,
          claimTimeoutMs: this.#options.claimTimeoutMs ?? 10_000,
        },
      );
      this.#resources.set(key, resource);
    }
    return resource;
  }
}

/** The options of the live copy: the ones keyed (a hook's others, such as `suspense`, are not its). */
function liveOptionsOf(options: ResourceOptions, fetch: FetchFunction | undefined): LiveOptions {
  const result: LiveOptions = {};
  if (options.delta !== undefined) result.delta = options.delta;
  if (options.whenDeleted !== undefined) result.whenDeleted = options.whenDeleted;
  if (options.headers !== undefined) result.headers = options.headers;
  if (options.reconnect !== undefined) result.reconnect = options.reconnect;
  if (options.maxHeaderBytes !== undefined) result.maxHeaderBytes = options.maxHeaderBytes;
  if (fetch !== undefined) result.fetch = fetch;
  return result;
}
