/**
 * One live resource for the page over one PREP stream (browsers allow about six HTTP/1.1
 * connections per host, SEC-4): `live()` keeps the value current (JSON, text or bytes) and
 * hands over the stream's notifications as events, which the page lists.
 */
import {
  live,
  type FetchFunction,
  type LiveChange,
  type LiveEndReason,
  type LiveFormat,
  type LiveResource,
  type LiveStreamEvent,
  type NotificationItem,
} from '@prep-live/client';

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
  /** How to read the representation: `json` (the default), `text` or `bytes`. */
  as?: LiveFormat;
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

/**
 * Watches the resource at `url` over one PREP stream: its value (kept by `live()`, deltas
 * applied: JSON Patch to JSON, unified diffs to text), its notifications, and the
 * connection state.
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

  const format = options.as ?? 'json';
  const resource = live<unknown>(url, {
    as: format,
    // Text gets unified diffs (N822-8); bytes have no delta format.
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  // A stream is open once its representation (or, after a resume, a notification) arrives.
  resource.addEventListener('representation', () => setState('live'));
  resource.addEventListener('notification', (e) => {
    setState('live');
    const item = (e as LiveStreamEvent).item;
    if (item.kind !== 'notification') return;
    const id = item.eventId;
    // A replay after a reconnect may repeat an event: list each Event-ID once.
    if (id !== undefined) {
      if (seen.has(id)) return;
      seen.add(id);
      // Bounded: forget the oldest ids (a Set iterates in insertion order).
      if (seen.size > maxSeen) seen.delete(seen.values().next().value!);
    }
    handlers.notification(item);
  });
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
