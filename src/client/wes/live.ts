import { parseEventsField } from '../../core/events/index.js';
import { parseMediaType } from '../../core/media-type.js';
import { parseMultipart, type MultipartPart } from '../../core/multipart/index.js';
import { parseNotification } from '../../core/notification.js';
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
 * A minimal PREP subscription to a container (GET with `Accept-Events: "prep"`): yields the
 * member changes it announces until the server ends the stream (it expires) or `signal`
 * aborts. Rejects with `WES_PROTOCOL` when the server does not serve notifications there, so
 * the caller can poll the feed instead. The full client library (`subscribe`) does more
 * (reconnects, deltas); a replica only needs to know which member to fetch.
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
  const doFetch = options.fetch ?? globalThis.fetch;
  const init: RequestInit = { headers: { 'Accept-Events': '"prep";accept="message/rfc822"' } };
  if (options.signal) init.signal = options.signal;
  const res = await doFetch(url, init);
  const events = parseEventsField(res.headers.get('events'), res.headers.get('date'));
  const type = res.headers.get('content-type') ?? '';
  let mixed: string | undefined;
  try {
    const mt = parseMediaType(type);
    if (mt.essence === 'multipart/mixed') mixed = mt.parameters.get('boundary');
  } catch {
    mixed = undefined;
  }
  if (res.status !== 200 || events?.status !== 200 || !mixed || !res.body) {
    await res.body?.cancel();
    throw wesError('WES_PROTOCOL', `${url} does not serve PREP notifications (${res.status})`);
  }
  const parts = parseMultipart(res.body, mixed);
  try {
    // RSP-4: part 1 is the representation, part 2 the digest of notifications.
    const first = await parts.next();
    if (first.done) return;
    await first.value.bytes();
    yield { kind: 'open' };
    const second = await parts.next();
    if (second.done) return;
    const digest = digestBoundary(second.value);
    if (!digest) return;
    for await (const message of parseMultipart(second.value.body, digest)) {
      const bytes = await message.bytes();
      let n;
      try {
        n = parseNotification(bytes);
      } catch {
        continue; // a keep-alive (empty part) or something unreadable: not a change
      }
      const ev: ContainerEvent = { kind: 'change', method: n.method };
      if (n.contentLocation) ev.location = new URL(n.contentLocation, res.url || url).href;
      if (n.etag) ev.etag = n.etag;
      yield ev;
    }
  } finally {
    await parts.return();
  }
}

function digestBoundary(part: MultipartPart): string | undefined {
  try {
    return parseMediaType(part.headers.get('content-type') ?? '').parameters.get('boundary');
  } catch {
    return undefined;
  }
}
