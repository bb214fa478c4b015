/**
 * One live resource for the page: `live()` keeps the JSON value current, and the same
 * stream (one connection per open resource: browsers allow about six per host over
 * HTTP/1.1, SEC-4) is also read for its notifications, to list them. The stream's body is
 * teed inside `fetch`: `live()` reads one branch, the list reads the other.
 */
import {
  live,
  readPrepResponse,
  type FetchFunction,
  type LiveChange,
  type LiveEndReason,
  type LiveResource,
  type NotificationItem,
} from '../client/index.js';

/**
 * The state of the connection: `connecting` (the first request), `live` (a stream is
 * open), `reconnecting` (it ended or broke; the next attempt is scheduled), `closed`.
 *
 * @example
 * ```ts
 * import type { ConnectionState } from './watch-resource.js';
 *
 * const label: Record<ConnectionState, string> = { connecting: '…', live: '●', reconnecting: '↻', closed: '○' };
 * ```
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * What a {@link watchResource} reports.
 *
 * @example
 * ```ts
 * import type { ResourceWatchHandlers } from './watch-resource.js';
 *
 * const handlers: ResourceWatchHandlers = {
 *   change: (c) => console.log(c.value),
 *   notification: (n) => console.log(n.method, n.eventId),
 *   state: (s) => console.log(s),
 *   end: (reason, error) => console.log(reason, error),
 * };
 * ```
 */
export interface ResourceWatchHandlers {
  /** The value changed (the first call brings the first value). */
  change(change: LiveChange<unknown>): void;
  /** A notification arrived (each Event-ID once). */
  notification(notification: NotificationItem): void;
  /** The connection state changed. */
  state(state: ConnectionState): void;
  /** The watch stopped: deleted, closed, expired, or an error (then `error` says which). */
  end(reason: LiveEndReason, error: unknown): void;
}

/**
 * Options of {@link watchResource}.
 *
 * @example
 * ```ts
 * import type { ResourceWatchOptions } from './watch-resource.js';
 *
 * const options: ResourceWatchOptions = { maxSeen: 500 };
 * ```
 */
export interface ResourceWatchOptions {
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: FetchFunction;
  /** How many Event-IDs to remember to drop repeats. Default 1000. */
  maxSeen?: number;
}

/**
 * A resource being watched; `close()` ends its stream.
 *
 * @example
 * ```ts
 * import type { ResourceWatch } from './watch-resource.js';
 *
 * const stop = (w: ResourceWatch) => w.close();
 * ```
 */
export interface ResourceWatch {
  /** The live copy: `value`, `etag`, `eventId`. */
  readonly resource: LiveResource<unknown>;
  /** The connection state now. */
  readonly state: ConnectionState;
  close(): void;
}

/** Statuses whose responses have no body: a Response cannot be built around one with a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Watches the JSON resource at `url` over one PREP stream: its value (kept by `live()`,
 * deltas applied), its notifications, and the connection state.
 *
 * @example
 * ```ts
 * import { watchResource } from './watch-resource.js';
 *
 * const watch = watchResource('/notes/a', {
 *   change: ({ value }) => render(value),
 *   notification: (n) => list(n),
 *   state: (s) => indicator(s),
 *   end: (reason) => console.log('ended', reason),
 * });
 * // when another resource is opened:
 * watch.close();
 * ```
 */
export function watchResource(
  url: string,
  handlers: ResourceWatchHandlers,
  options: ResourceWatchOptions = {},
): ResourceWatch {
  const base = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxSeen = options.maxSeen ?? 1000;
  const seen = new Set<string>();
  let state: ConnectionState = 'connecting';
  let closed = false;
  const setState = (next: ConnectionState): void => {
    if (closed && next !== 'closed') return;
    if (next === state) return;
    state = next;
    handlers.state(next);
  };

  /** Reads the notifications off our branch of a stream; `live()` reports its failures. */
  const listen = async (response: Response, lastEventId: string | undefined): Promise<void> => {
    try {
      const read = lastEventId === undefined ? {} : { lastEventId };
      for await (const item of readPrepResponse(response, read)) {
        if (closed) break;
        if (item.kind === 'representation') setState('live');
        else if (item.kind === 'notification') {
          const id = item.eventId;
          if (id !== undefined && seen.has(id)) continue;
          if (id !== undefined) seen.add(id);
          // Bounded: forget the oldest ids (a Set iterates in insertion order).
          if (seen.size > maxSeen) seen.delete(seen.values().next().value!);
          handlers.notification(item);
        }
      }
    } catch {
      // The stream broke or was refused: live() says so through its events.
    }
  };

  const tap: FetchFunction = async (input, init) => {
    const response = await base(input, init);
    const headers = new Headers(init?.headers);
    if (!headers.has('accept-events') || response.body === null || NULL_BODY.has(response.status))
      return response;
    const [theirs, ours] = response.body.tee();
    const meta = {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    };
    void listen(new Response(ours, meta), headers.get('last-event-id') ?? undefined);
    return new Response(theirs, meta);
  };

  const resource = live<unknown>(url, { fetch: tap });
  resource.onChange((change) => handlers.change(change));
  resource.addEventListener('reconnect', () => setState('reconnecting'));
  void resource.ended.then((reason) => {
    setState('closed');
    closed = true;
    handlers.end(reason, resource.error);
  });

  return {
    resource,
    get state() {
      return state;
    },
    close() {
      resource.close();
    },
  };
}
