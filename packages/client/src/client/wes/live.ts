import { PrepSubscribeError } from '../errors.js';
import { subscribe, type SubscribeOptions } from '../subscribe.js';
import { wesError } from './errors.js';

/**
 * What {@link watchContainer} yields: `open` once the notifications stream is established,
 * then one `change` per notification. `location` is the changed member's absolute URL
 * (N822-6), absent when the container itself changed.
 *
 * @example
 * ```ts
 * const ev: ContainerEvent = { kind: 'change', method: 'PUT', location: 'https://example.org/notes/a' };
 * ```
 */
export type ContainerEvent =
  { kind: 'open' } | { kind: 'change'; method: string; location?: string; etag?: string };

/**
 * Options of {@link watchContainer}.
 *
 * @example
 * ```ts
 * const options: WatchOptions = { signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface WatchOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * A PREP subscription to a container through the client library's `subscribe()` (GET with
 * `Accept-Events: "prep"`, reconnecting with `Last-Event-ID`): yields `open` each time the
 * stream (re)starts and a `change` per notification, until the server ends it for good or
 * `signal` aborts. Rejects with `WES_PROTOCOL` when the server does not serve notifications
 * there at all, so the caller can poll the feed instead.
 *
 * @example
 * ```ts
 * for await (const ev of watchContainer('https://example.org/notes/')) {
 *   if (ev.kind === 'change' && ev.location) console.log('changed:', ev.location);
 * }
 * ```
 */
export async function* watchContainer(
  url: string,
  options: WatchOptions = {},
): AsyncGenerator<ContainerEvent> {
  const init: SubscribeOptions = {};
  if (options.fetch) init.fetch = options.fetch;
  if (options.signal) init.signal = options.signal;
  const subscription = subscribe(url, init);
  let opened = false;
  try {
    for await (const item of subscription) {
      switch (item.kind) {
        case 'representation':
          // RSP-4 part 1: (re)subscribed; whatever happened before is for the caller to poll.
          opened = true;
          yield { kind: 'open' };
          break;
        case 'notification': {
          const ev: ContainerEvent = { kind: 'change', method: item.method };
          if (item.contentLocation) ev.location = new URL(item.contentLocation, url).href;
          if (item.etag) ev.etag = item.etag;
          yield ev;
          break;
        }
        case 'end':
          return;
        default:
          break; // reconnects, parts of other formats
      }
    }
  } catch (e) {
    if (!opened && e instanceof PrepSubscribeError)
      throw wesError('WES_PROTOCOL', `${url} does not serve PREP notifications: ${e.message}`);
    throw e;
  } finally {
    subscription.close();
  }
}
