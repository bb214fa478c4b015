/**
 * `subscribe()`: a PREP subscription over `fetch`, in browsers and Node, as an async
 * iterable. It asks for notifications (REQ-1), checks the response (HDR-5, HDR-6, ERR-2..4),
 * yields the representation and then each notification as soon as it is complete, and
 * reconnects on its own with `Last-Event-ID` (REQ-2, RSP-5, EXT-1) when the stream expires
 * or breaks, until the resource is deleted (RSP-7) or the caller closes it.
 */
import { isDeltaType } from '../core/delta/index.js';
import { readPrepAdvertisement } from '../core/events/index.js';
import { serializePrepAccept } from './accept-events.js';
import { backoffDelay, retriesOf, sleep, type ReconnectOptions } from './backoff.js';
import { PrepSubscribeError, isRetryableStatus } from './errors.js';
import type {
  NotificationItem,
  ReconnectReason,
  RepresentationItem,
  SubscriptionItem,
} from './items.js';
import { readPrepResponse } from './read-response.js';
import { isAboutResource } from './same-resource.js';

/**
 * The `fetch` a subscription calls; `globalThis.fetch` by default.
 *
 * @example
 * ```ts
 * import type { FetchFunction } from '@prep-live/client';
 *
 * const logged: FetchFunction = (input, init) => {
 *   console.log(init?.method ?? 'GET', String(input));
 *   return fetch(input, init);
 * };
 * ```
 */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Options of {@link subscribe}.
 *
 * @example
 * ```ts
 * import type { SubscribeOptions } from '@prep-live/client';
 *
 * const options: SubscribeOptions = {
 *   delta: 'application/json-patch+json',
 *   headers: { Authorization: 'Bearer …' },
 *   reconnect: { maxDelayMs: 10_000 },
 * };
 * ```
 */
export interface SubscribeOptions {
  /** Notification media types, most preferred first (`accept`, REQ-1). Default `message/rfc822`. */
  accept?: string | readonly string[];
  /**
   * Ask for deltas in this media type (`delta` on `message/rfc822`, N822-8). `'auto'`: the
   * first delta type the resource advertises (DSC-1, HDR-2: `Accept-Events` listing
   * `delta=(...)` on `message/rfc822`) that `deltaTypes` has, else none. The advertisement
   * is read from a `HEAD` sent before the first `GET`, and again from each notifications
   * response's own `Accept-Events` (RSP-3), which decides what a reconnect asks for.
   */
  delta?: string;
  /**
   * With `delta: 'auto'`, the delta types this client applies. Default: those `applyDelta`
   * applies (`application/json-patch+json`, `application/merge-patch+json`, `text/plain`,
   * `text/x-diff`).
   */
  deltaTypes?: readonly string[];
  /** Extra request header fields (`Authorization`, ...). `Accept-Events` and `Last-Event-ID` are ours. */
  headers?: HeadersInit;
  /** Resume after this event (REQ-2): the server may skip the body (RSP-5) or replay (EXT-1). */
  lastEventId?: string;
  /** How to reconnect; `false` never does. Default: forever, 500 ms base, 30 s cap, full jitter. */
  reconnect?: ReconnectOptions | false;
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: FetchFunction;
  /** Aborting it closes the subscription, as `close()` does. */
  signal?: AbortSignal;
  /** Largest part header block, in bytes. Default 64 KiB. */
  maxHeaderBytes?: number;
  /**
   * Called each time a notifications response is accepted, with its part 1 (RSP-4): also
   * after a reconnect whose representation was omitted and is not yielded, so that a
   * caller can tell the stream works again.
   */
  onConnect?: (representation: RepresentationItem) => void;
}

/**
 * Subscribes to a resource's notifications. The connection opens when iteration starts.
 *
 * Yields, in order: a `representation` (part 1 of the response; `omitted` when the server
 * skipped the body), then a `notification` per event as soon as its part is complete (or a
 * `part` for another notification format); on reconnect a `reconnect` item, then the new
 * representation unless the server omitted it (then missed events follow, EXT-1); and last
 * an `end` item (`deleted`, `expired` or `closed`). Throws a `PrepSubscribeError` when the
 * server refuses (4xx, an `Events` status other than 200 and not 429/503, no `Events`) or
 * when reconnect attempts run out.
 *
 * Reconnects when the stream ends (both close delimiters: `expires` elapsed) or breaks,
 * with `Last-Event-ID` of the last event seen, after a full-jitter backoff that starts over
 * once a connection works, or after the server's `Retry-After` (`Events` status 429 or
 * 503, HTTP 408, 429, 5xx). Never after a `DELETE` of the resource itself (RSP-7) nor after
 * another 4xx. Only ever sends `GET` (MTH-3).
 *
 * @example
 * ```ts
 * import { subscribe } from '@prep-live/client';
 *
 * const sub = subscribe('https://example.org/doc', { delta: 'application/json-patch+json' });
 * for await (const item of sub) {
 *   if (item.kind === 'representation') console.log('now', new TextDecoder().decode(item.body));
 *   if (item.kind === 'notification') console.log(item.method, item.etag, item.delta?.type);
 *   if (item.kind === 'reconnect') console.log('reconnecting in', item.delay, 'ms');
 * }
 * ```
 */
export function subscribe(url: string | URL, options: SubscribeOptions = {}): Subscription {
  return new Subscription(url, options);
}

/**
 * A PREP subscription: an async iterable of {@link SubscriptionItem}s with one consumer.
 * Create it with {@link subscribe}.
 *
 * @example
 * ```ts
 * import { subscribe } from '@prep-live/client';
 *
 * const sub = subscribe('https://example.org/doc');
 * setTimeout(() => sub.close(), 60_000);
 * for await (const item of sub) console.log(item.kind); // ... then { kind: 'end', reason: 'closed' }
 * ```
 */
export class Subscription implements AsyncIterable<SubscriptionItem> {
  /** The resource's URL, as given. */
  readonly url: string;
  readonly #options: SubscribeOptions;
  readonly #fetch: FetchFunction;
  readonly #controller = new AbortController();
  readonly #iterator: AsyncGenerator<SubscriptionItem, void, undefined>;
  #lastEventId: string | undefined;
  /** The delta type asked for; with `delta: 'auto'`, as learned so far. */
  #delta: string | undefined;
  /** The delta type the last request asked for. */
  #asked: string | undefined;
  /** With `delta: 'auto'`: whether an advertisement (or its absence) was seen yet. */
  #discovered = false;
  #closed = false;
  #onAbort: (() => void) | undefined;

  /**
   * Use {@link subscribe}.
   *
   * @example
   * ```ts
   * import { Subscription } from '@prep-live/client';
   *
   * const sub = new Subscription('https://example.org/doc', {});
   * ```
   */
  constructor(url: string | URL, options: SubscribeOptions = {}) {
    this.url = String(url);
    this.#options = options;
    this.#lastEventId = options.lastEventId;
    this.#delta = options.delta === 'auto' ? undefined : options.delta;
    this.#asked = this.#delta;
    const f = options.fetch;
    this.#fetch = f ?? ((input, init) => globalThis.fetch(input, init));
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.close();
      else {
        this.#onAbort = () => this.close();
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
    this.#iterator = this.#run();
  }

  /**
   * The Event-ID of the last notification seen (or the `lastEventId` option): what a resume
   * sends. `undefined` after a notification without one (nothing to resume from).
   */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  /**
   * The delta type the last notifications request asked for: the `delta` option, or with
   * `'auto'` the one picked from the advertisement; `undefined` for none (and, with
   * `'auto'`, before the first request).
   */
  get delta(): string | undefined {
    return this.#asked;
  }

  /** Whether the subscription is over: `close()` was called, the signal aborted, or the iteration ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the subscription: aborts the request, stops reconnecting. A pending or later
   * `next()` yields `{ kind: 'end', reason: 'closed' }`, then the iteration ends (RSP-8:
   * clients close the stream when the user leaves).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.abort();
    this.#release();
  }

  [Symbol.asyncIterator](): AsyncGenerator<SubscriptionItem, void, undefined> {
    return this.#iterator;
  }

  #release(): void {
    if (this.#onAbort !== undefined)
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }

  async *#run(): AsyncGenerator<SubscriptionItem, void, undefined> {
    const reconnect = this.#options.reconnect;
    const retries = retriesOf(reconnect);
    const signal = this.#controller.signal;
    let attempt = 0;
    let connected = false; // a representation was yielded at least once
    try {
      for (;;) {
        if (this.#closed) break;
        let reason: ReconnectReason;
        let failure: PrepSubscribeError | undefined;
        let retryAfterMs: number | undefined;
        let deleted = false;
        const connection = new AbortController();
        const abort = (): void => connection.abort();
        signal.addEventListener('abort', abort, { once: true });
        try {
          if (this.#options.delta === 'auto' && !this.#discovered)
            await this.#discover(connection.signal);
          const sentLastEventId = this.#lastEventId;
          const response = await this.#fetch(this.url, {
            method: 'GET', // MTH-3: notifications are asked for with GET only
            headers: this.#headers(sentLastEventId),
            signal: connection.signal,
          });
          if (this.#closed) {
            await response.body?.cancel().catch(() => undefined);
            break;
          }
          // RSP-3: the stream's own advertisement decides what a reconnect asks for.
          if (this.#options.delta === 'auto') this.#learn(response.headers);
          const readOptions: { lastEventId?: string; maxHeaderBytes?: number } = {};
          if (sentLastEventId !== undefined) readOptions.lastEventId = sentLastEventId;
          if (this.#options.maxHeaderBytes !== undefined)
            readOptions.maxHeaderBytes = this.#options.maxHeaderBytes;
          for await (const item of readPrepResponse(response, readOptions)) {
            if (item.kind === 'representation') {
              attempt = 0; // the connection works: the backoff starts over
              this.#options.onConnect?.(item);
              // A reconnect that skipped the body changes nothing the caller holds.
              if (connected && item.omitted) continue;
              connected = true;
            } else if (item.kind === 'notification') {
              // An event without an id (node-solid-server) cannot be resumed from: the
              // next connection then sends no Last-Event-ID and gets the whole state.
              this.#lastEventId = item.eventId;
              // RSP-7: the server ends the stream right after its resource's DELETE.
              deleted = this.#isOwnDelete(item);
            }
            yield item;
            // Nothing follows a DELETE of the resource: do not wait for a server that is
            // slow to close (or never does).
            if (this.#closed || deleted) break;
          }
          if (this.#closed) break;
          if (deleted) {
            yield { kind: 'end', reason: 'deleted' };
            return;
          }
          reason = 'expired';
        } catch (e) {
          if (this.#closed) break;
          // The stream broke right after the DELETE: it was ending anyway.
          if (deleted && isNetwork(e)) {
            yield { kind: 'end', reason: 'deleted' };
            return;
          }
          const verdict = classify(e);
          if (verdict === 'fatal') throw e;
          reason = verdict;
          failure = e instanceof PrepSubscribeError ? e : asNetworkError(e);
          if (e instanceof PrepSubscribeError) retryAfterMs = e.retryAfterMs;
        } finally {
          signal.removeEventListener('abort', abort);
          connection.abort(); // lets go of the body, if anything still holds it
        }

        // Reconnect, or not.
        attempt++;
        if (attempt > retries) {
          if (failure !== undefined) throw failure;
          yield { kind: 'end', reason: 'expired' };
          return;
        }
        const delay = retryAfterMs ?? backoffDelay(attempt, reconnect);
        const report: SubscriptionItem = {
          kind: 'reconnect',
          attempt,
          delay,
          reason,
          lastEventId: this.#lastEventId,
        };
        if (failure !== undefined) report.error = failure;
        yield report;
        if (this.#closed) break;
        if (!(await sleep(delay, signal))) break;
      }
      yield { kind: 'end', reason: 'closed' };
    } finally {
      // Also when the consumer stops iterating (`break`): the subscription is over.
      this.#closed = true;
      this.#release();
      this.#controller.abort();
    }
  }

  /**
   * `delta: 'auto'`: a HEAD to read the resource's advertisement (DSC-1) before the first
   * GET. A HEAD that fails leaves the choice to the GET's response (none until then).
   */
  async #discover(signal: AbortSignal): Promise<void> {
    const headers = new Headers(this.#options.headers);
    headers.delete('Accept-Events'); // MTH-3: notifications are asked for on GET only
    headers.delete('Last-Event-ID');
    let response: Response;
    try {
      response = await this.#fetch(this.url, { method: 'HEAD', headers, signal });
    } catch (e) {
      if (isAbort(e)) throw e;
      return; // The GET will tell what is wrong.
    }
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) return; // a 404 or 5xx: the GET will say so
    // Asked once per subscription; no advertisement here means none until a GET sends one.
    this.#discovered = true;
    this.#learn(response.headers);
  }

  /** Picks the delta from an `Accept-Events` advertisement, when the response has one. */
  #learn(headers: Headers): void {
    const advertised = readPrepAdvertisement(headers.get('accept-events'));
    if (advertised === undefined) return;
    this.#discovered = true;
    const applies = this.#options.deltaTypes?.map((t) => t.toLowerCase());
    const rfc822 = advertised.find((f) => f.type === 'message/rfc822');
    this.#delta = rfc822?.deltas.find((d) =>
      applies === undefined ? isDeltaType(d) : applies.includes(d),
    );
  }

  #headers(lastEventId: string | undefined): Headers {
    const headers = new Headers(this.#options.headers);
    const ask: { accept?: string | readonly string[]; delta?: string } = {};
    if (this.#options.accept !== undefined) ask.accept = this.#options.accept;
    if (this.#delta !== undefined) ask.delta = this.#delta;
    this.#asked = this.#delta;
    headers.set('Accept-Events', serializePrepAccept(ask));
    if (lastEventId !== undefined) headers.set('Last-Event-ID', lastEventId);
    else headers.delete('Last-Event-ID');
    return headers;
  }

  /** A DELETE about this resource: no `Content-Location`, or one naming this URL. */
  #isOwnDelete(n: NotificationItem): boolean {
    return n.method.toUpperCase() === 'DELETE' && isAboutResource(n.contentLocation, this.url);
  }
}

/** What to do after a failed connection. */
function classify(e: unknown): 'dropped' | 'unavailable' | 'fatal' {
  if (!(e instanceof PrepSubscribeError)) {
    // fetch() rejects with a TypeError when the network fails.
    return e instanceof TypeError || isAbort(e) ? 'dropped' : 'fatal';
  }
  switch (e.code) {
    case 'NETWORK':
      return 'dropped';
    case 'HTTP_STATUS':
      return isRetryableStatus(e.status ?? 0) ? 'unavailable' : 'fatal';
    case 'EVENTS_STATUS':
      // ERR-3: over a limit, come back later (with Retry-After).
      return e.status === 429 || e.status === 503 ? 'unavailable' : 'fatal';
    default:
      return 'fatal';
  }
}

function isNetwork(e: unknown): boolean {
  return classify(e) === 'dropped';
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

function asNetworkError(e: unknown): PrepSubscribeError {
  const message = e instanceof Error ? e.message : String(e);
  return new PrepSubscribeError('NETWORK', `the request failed: ${message}`, { cause: e });
}
