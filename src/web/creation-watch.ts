/**
 * Waiting for a missing resource to appear. A 404 has no notifications (ERR-2), so the
 * page watches the nearest container above it that exists: a member created there is
 * announced with `Content-Location` (N822-6). When that names the resource, or a
 * container on the way down to it, the watch checks with a HEAD and reports the creation
 * or moves closer. One stream at a time, like every open resource of the page (SEC-4).
 */
import { PrepSubscribeError, subscribe, type FetchFunction } from '@prep-live/client';
import { isContainer, parentOf } from './paths.js';
import type { ConnectionState } from './watch-resource.js';

/**
 * What a {@link watchCreation} reports.
 *
 * @example
 * ```ts
 * import type { CreationHandlers } from './creation-watch.js';
 *
 * const handlers: CreationHandlers = { created: () => location.reload(), state: console.log };
 * ```
 */
export interface CreationHandlers {
  /** The resource exists now (created here or by another client). Called once. */
  created(): void;
  /** The state of the stream on the container watched. */
  state(state: ConnectionState): void;
}

/**
 * A creation being waited for; `close()` ends its stream.
 *
 * @example
 * ```ts
 * import type { CreationWatch } from './creation-watch.js';
 *
 * const stop = (w: CreationWatch) => w.close();
 * ```
 */
export interface CreationWatch {
  /** The container whose stream is open (or being opened). */
  readonly watching: string;
  close(): void;
}

/**
 * Waits for the resource at `url` (absolute, or relative to the page) to exist.
 *
 * @example
 * ```ts
 * import { watchCreation } from './creation-watch.js';
 *
 * const watch = watchCreation('/notes/new', { created: () => open('/notes/new'), state: show });
 * // when another resource is opened:
 * watch.close();
 * ```
 */
export function watchCreation(
  url: string,
  handlers: CreationHandlers,
  options: { fetch?: FetchFunction } = {},
): CreationWatch {
  const target = new URL(url, globalThis.location?.href);
  const fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const controller = new AbortController();
  let watching = parentOf(target.pathname) ?? '/';
  let done = false;

  /** Whether the resource (or the container `path` on the way to it) is there now. */
  const exists = async (path?: string): Promise<boolean> => {
    const response = await fetch(path === undefined ? target : new URL(path, target), {
      method: 'HEAD',
      cache: 'no-store',
      signal: controller.signal,
    }).catch(() => undefined);
    return response?.ok === true;
  };
  const found = (): void => {
    if (done) return;
    done = true;
    controller.abort();
    handlers.created();
  };

  const run = async (): Promise<void> => {
    while (!done) {
      let next: string | undefined;
      const subscription = subscribe(new URL(watching, target), {
        fetch,
        signal: controller.signal,
      });
      try {
        for await (const item of subscription) {
          if (item.kind === 'representation') {
            handlers.state('live');
            // Created between the 404 and this stream: no notification will tell. Nor of a
            // container on the way down created while the watch moved here.
            if (await exists()) return found();
            const below = childOnTheWay(watching, target.pathname);
            if (below !== undefined && (await exists(below))) {
              next = below;
              break;
            }
          } else if (item.kind === 'notification') {
            handlers.state('live');
            const about = pathOf(item.contentLocation, target);
            if (about === target.pathname) {
              if (await exists()) return found();
            } else if (
              about !== undefined &&
              isContainer(about) &&
              about.length > watching.length &&
              target.pathname.startsWith(about) &&
              item.method.toUpperCase() !== 'DELETE'
            ) {
              // A container on the way down was created: watch it instead.
              next = about;
              break;
            }
          } else if (item.kind === 'reconnect') handlers.state('reconnecting');
          else if (item.kind === 'end' && item.reason === 'deleted') {
            next = parentOf(watching) ?? '/'; // the container itself went away
            break;
          }
        }
      } catch (e) {
        if (done || controller.signal.aborted) return;
        // The container is not there either: watch the one above it.
        if (!(e instanceof PrepSubscribeError && (e.status === 404 || e.status === 410))) throw e;
        if (watching === '/') throw e;
        next = parentOf(watching) ?? '/';
      } finally {
        subscription.close();
      }
      if (next === undefined) return; // closed, or the stream ended for good
      watching = next;
    }
  };
  void run()
    .catch(() => undefined)
    .finally(() => {
      if (!done) handlers.state('closed');
    });

  return {
    get watching() {
      return watching;
    },
    close() {
      done = true;
      controller.abort();
    },
  };
}

/** The container just below `container` on the way to `path`, if `path` is deeper than that. */
function childOnTheWay(container: string, path: string): string | undefined {
  if (!path.startsWith(container)) return undefined;
  const slash = path.indexOf('/', container.length);
  return slash < 0 || slash === path.length - 1 ? undefined : path.slice(0, slash + 1);
}

/** The path a `Content-Location` names, on the target's origin; `undefined` for another origin. */
function pathOf(location: string | undefined, base: URL): string | undefined {
  if (location === undefined) return undefined;
  try {
    const url = new URL(location, base);
    return url.origin === base.origin ? url.pathname : undefined;
  } catch {
    return undefined;
  }
}
