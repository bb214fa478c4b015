/**
 * `live()`: an up-to-date local copy of a resource: a JSON value (the default), a text, or
 * bytes. It subscribes asking for deltas (N822-8), applies each notification's delta to its
 * copy (JSON Patch or merge patch to JSON, a unified diff to text), and re-fetches with a
 * plain GET when a notification has no delta or the delta's base is not its state; it
 * follows the ETag chain (N822-5) to tell which events its state already reflects.
 *
 * How the chain is kept. `etag` is the ETag of the state held. A notification whose ETag
 * equals it is already reflected (the server may send an event that happened before the
 * representation it sent was read) and is skipped. The last full representation (from the
 * stream or a re-fetch) is kept as the base: a notification carrying the base's ETag means
 * the events in between were already in the base, so the copy goes back to it. After a
 * re-fetch prompted by an event E, when the GET returned a newer state than E's, the events
 * up to that state are skipped until the one carrying its ETag arrives.
 */
import { applyJsonPatch, applyMergePatch, applyTextDiff } from '../core/delta/index.js';
import { parseMediaType } from '../core/media-type.js';
import { backoffDelay, retriesOf, sleep } from './backoff.js';
import { PrepSubscribeError, isRetryableStatus } from './errors.js';
import type { NotificationItem, PartItem, ReconnectItem, RepresentationItem } from './items.js';
import { isAboutResource } from './same-resource.js';
import {
  subscribe,
  type FetchFunction,
  type SubscribeOptions,
  type Subscription,
} from './subscribe.js';

/**
 * The delta formats `live()` applies.
 *
 * @example
 * ```ts
 * import type { LiveDeltaType } from 'prep-live/client';
 *
 * const delta: LiveDeltaType = 'application/merge-patch+json';
 * ```
 */
export type LiveDeltaType =
  'application/json-patch+json' | 'application/merge-patch+json' | 'text/plain';

/**
 * How {@link live} reads the representation: `json` (the default) parses JSON and applies
 * JSON Patch and merge patch deltas; `text` decodes UTF-8 and applies unified diffs
 * (`text/plain`); `bytes` keeps the bytes and re-fetches on every change (no delta format
 * applies to them).
 *
 * @example
 * ```ts
 * import type { LiveFormat } from 'prep-live/client';
 *
 * const format: LiveFormat = 'text';
 * ```
 */
export type LiveFormat = 'json' | 'text' | 'bytes';

/** The delta types each format applies, the default first. */
const DELTAS_OF: Record<LiveFormat, readonly string[]> = {
  json: ['application/json-patch+json', 'application/merge-patch+json'],
  text: ['text/plain', 'text/x-diff'],
  bytes: [],
};

/**
 * Options of {@link live}: those of `subscribe()` but the formats, plus:
 *
 * @example
 * ```ts
 * import type { LiveOptions } from 'prep-live/client';
 *
 * const options: LiveOptions = { delta: 'application/merge-patch+json', whenDeleted: 'watch' };
 * ```
 */
export interface LiveOptions extends Omit<
  SubscribeOptions,
  'accept' | 'delta' | 'deltaTypes' | 'lastEventId' | 'onConnect'
> {
  /** How to read the representation (see {@link LiveFormat}). Default `json`. */
  as?: LiveFormat;
  /**
   * The delta format to ask for; `false` asks for none (every change is re-fetched);
   * `'auto'` the first the resource advertises (see `subscribe()`'s `delta`) that `as`
   * applies, else none. Default: JSON Patch for `json`, `text/plain` (a unified diff) for
   * `text`; `bytes` never asks for one.
   */
  delta?: LiveDeltaType | false | 'auto';
  /**
   * After the resource is deleted (or when it does not exist): `end` stops (the default);
   * `watch` reports it and then polls, with the reconnect backoff, until it exists again.
   */
  whenDeleted?: 'end' | 'watch';
}

/**
 * One change of a live copy.
 *
 * @example
 * ```ts
 * import type { LiveChange } from 'prep-live/client';
 *
 * const render = (c: LiveChange<{ title: string }>) => (c.deleted ? '(deleted)' : c.value?.title);
 * ```
 */
export interface LiveChange<T> {
  /** The new value; `undefined` when the resource does not exist. */
  value: T | undefined;
  /** Its ETag (N822-5), when known. */
  etag: string | undefined;
  /** Its media type (`Content-Type`), when known; absent when the resource does not exist. */
  contentType?: string;
  /** The Event-ID of the last notification seen. */
  eventId: string | undefined;
  /** True when the resource does not exist (any more). */
  deleted: boolean;
  /**
   * How the value was obtained: `representation` (the stream's part 1), `delta` (a
   * notification's delta applied), `refetch` (a plain GET), `base` (back to the last full
   * representation, which already reflected the events since), `delete` (a DELETE
   * notification, or a 404).
   */
  cause: 'representation' | 'delta' | 'refetch' | 'base' | 'delete';
}

/**
 * Why a live copy stopped following its resource: `closed` (`close()` or the signal),
 * `deleted` (the resource was deleted, with `whenDeleted: 'end'`), `expired` (the stream
 * ended and reconnecting is off), `error` (see `error`).
 *
 * @example
 * ```ts
 * import type { LiveEndReason } from 'prep-live/client';
 *
 * const expected: LiveEndReason[] = ['closed', 'deleted'];
 * ```
 */
export type LiveEndReason = 'closed' | 'deleted' | 'expired' | 'error';

/**
 * The `change` event of a {@link LiveResource}.
 *
 * @example
 * ```ts
 * const doc = live('https://example.org/doc');
 * doc.addEventListener('change', (e) => console.log((e as LiveChangeEvent<unknown>).change.value));
 * ```
 */
export class LiveChangeEvent<T> extends Event {
  readonly change: LiveChange<T>;
  constructor(change: LiveChange<T>) {
    super('change');
    this.change = change;
  }
}

/**
 * The `end` event of a {@link LiveResource}: dispatched once.
 *
 * @example
 * ```ts
 * const doc = live('https://example.org/doc');
 * doc.addEventListener('end', (e) => console.log('stopped:', (e as LiveEndEvent).reason));
 * ```
 */
export class LiveEndEvent extends Event {
  readonly reason: LiveEndReason;
  readonly error: unknown;
  constructor(reason: LiveEndReason, error?: unknown) {
    super('end');
    this.reason = reason;
    this.error = error;
  }
}

/**
 * The `error` event of a {@link LiveResource}: the error that ended it (an `end` event with
 * reason `error` follows).
 *
 * @example
 * ```ts
 * const doc = live('https://example.org/doc');
 * doc.addEventListener('error', (e) => console.error((e as LiveErrorEvent).error));
 * ```
 */
export class LiveErrorEvent extends Event {
  readonly error: unknown;
  constructor(error: unknown) {
    super('error');
    this.error = error;
  }
}

/**
 * The `reconnect` event of a {@link LiveResource}: its subscription reconnects.
 *
 * @example
 * ```ts
 * const doc = live('https://example.org/doc');
 * doc.addEventListener('reconnect', (e) => console.warn('reconnecting', (e as LiveReconnectEvent).info.delay));
 * ```
 */
export class LiveReconnectEvent extends Event {
  readonly info: ReconnectItem;
  constructor(info: ReconnectItem) {
    super('reconnect');
    this.info = info;
  }
}

/**
 * A part of the live copy's stream as it arrives, before the copy acts on it: the
 * representation (`representation`), a notification (`notification`), or a part in
 * another format or that does not parse (`part`). The event's type is the item's `kind`.
 * What a page lists beside the value, over the same stream.
 *
 * @example
 * ```ts
 * const doc = live('http://127.0.0.1:8080/notes/a');
 * doc.addEventListener('notification', (e: Event) => {
 *   const n = (e as LiveStreamEvent).item;
 *   if (n.kind === 'notification') console.log(n.method, n.eventId, n.delta?.type);
 * });
 * ```
 */
export class LiveStreamEvent extends Event {
  readonly item: RepresentationItem | NotificationItem | PartItem;
  constructor(item: RepresentationItem | NotificationItem | PartItem) {
    super(item.kind);
    this.item = item;
  }
}

/**
 * Keeps a live local copy of the resource at `url` (JSON unless `options.as` says `text` or
 * `bytes`). See {@link LiveResource}.
 *
 * @example
 * ```ts
 * import { live } from 'prep-live/client';
 *
 * const doc = live<{ title: string }>('https://example.org/doc');
 * await doc.ready;
 * console.log(doc.value?.title, doc.etag);
 * doc.onChange(({ value, cause }) => console.log(cause, value?.title));
 * // later
 * doc.close();
 * ```
 */
export function live<T = unknown>(url: string | URL, options: LiveOptions = {}): LiveResource<T> {
  return new LiveResource<T>(url, options);
}

/** Thrown inside the loop to leave it when the copy is closed; never escapes. */
const CLOSED = new Error('the live copy was closed');

/**
 * A live copy of a resource: `value` and `etag` always hold the newest state known.
 * Changes are announced three ways: `change` events ({@link LiveChangeEvent}),
 * `onChange(callback)`, and async iteration (`for await (const change of live)`), which
 * starts with the current state when there is one. Also dispatches `connect` (a plain
 * `Event`: a notifications response was accepted, the first one or one after a reconnect,
 * before the change it brings, if any), `reconnect`, `error` and `end` events, and the
 * stream's own items as `representation`, `notification` and `part` events
 * ({@link LiveStreamEvent}). Create it with {@link live}.
 *
 * @example
 * ```ts
 * import { live } from 'prep-live/client';
 *
 * const doc = live<{ count: number }>('https://example.org/counter', { whenDeleted: 'watch' });
 * for await (const { value, deleted } of doc) {
 *   console.log(deleted ? 'gone' : value?.count);
 * }
 * ```
 */
export class LiveResource<T = unknown> extends EventTarget {
  /** The resource's URL, as given. */
  readonly url: string;
  /** Resolves once the first state is known (the representation, or a 404 when watching); rejects if the copy fails first. */
  readonly ready: Promise<void>;
  /** Resolves when the copy stops following the resource, with why. Never rejects. */
  readonly ended: Promise<LiveEndReason>;

  readonly #options: LiveOptions;
  readonly #fetch: FetchFunction;
  readonly #controller = new AbortController();
  #subscription: Subscription | undefined;
  readonly #format: LiveFormat;
  #value: T | undefined;
  #etag: string | undefined;
  #contentType: string | undefined;
  #eventId: string | undefined;
  #deleted = false;
  #known = false;
  #last: LiveChange<T> | undefined;
  /** The last full representation: value, ETag and media type. */
  #base: { value: T; etag: string | undefined; contentType: string | undefined } | undefined;
  /** After a re-fetch that went past an event: skip events up to the one with this ETag. */
  #catchUp: string | undefined;
  #end: LiveEndReason | undefined;
  #error: unknown;
  #resolveReady!: () => void;
  #rejectReady!: (e: unknown) => void;
  #resolveEnded!: (reason: LiveEndReason) => void;
  #onAbort: (() => void) | undefined;

  /**
   * Use {@link live}.
   *
   * @example
   * ```ts
   * import { LiveResource } from 'prep-live/client';
   *
   * const doc = new LiveResource('https://example.org/doc', {});
   * ```
   */
  constructor(url: string | URL, options: LiveOptions = {}) {
    super();
    this.url = String(url);
    this.#options = options;
    this.#format = options.as ?? 'json';
    const f = options.fetch;
    this.#fetch = f ?? ((input, init) => globalThis.fetch(input, init));
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody has to wait for it: a failure is also reported by `error` and `ended`.
    this.ready.catch(() => undefined);
    this.ended = new Promise<LiveEndReason>((resolve) => {
      this.#resolveEnded = resolve;
    });
    const signal = options.signal;
    if (signal !== undefined) {
      this.#onAbort = () => this.close();
      if (signal.aborted) queueMicrotask(this.#onAbort);
      else signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    void this.#run();
  }

  /** The newest value known; `undefined` before `ready` and when the resource does not exist. */
  get value(): T | undefined {
    return this.#value;
  }

  /** The ETag of `value`, when the server sent one. */
  get etag(): string | undefined {
    return this.#etag;
  }

  /** The media type of `value` (its `Content-Type`), when known. */
  get contentType(): string | undefined {
    return this.#contentType;
  }

  /** The Event-ID of the last notification seen. */
  get eventId(): string | undefined {
    return this.#eventId;
  }

  /** True when the resource does not exist (it was deleted, or with `watch`, not created yet). */
  get deleted(): boolean {
    return this.#deleted;
  }

  /** Why the copy stopped, or `undefined` while it follows the resource. */
  get endReason(): LiveEndReason | undefined {
    return this.#end;
  }

  /** The error that ended the copy, if any. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Calls `listener` with every change from now on; returns a function that stops it.
   *
   * @example
   * ```ts
   * const doc = live<{ title: string }>('https://example.org/doc');
   * const stop = doc.onChange((change) => console.log(change.value?.title));
   * stop();
   * ```
   */
  onChange(listener: (change: LiveChange<T>) => void): () => void {
    const handler = (e: Event): void => listener((e as LiveChangeEvent<T>).change);
    this.addEventListener('change', handler);
    return () => this.removeEventListener('change', handler);
  }

  /**
   * The changes as an async iterator: first the current state (when known), then every
   * change; it ends when the copy does, and throws the error that ended it, if one did.
   *
   * @example
   * ```ts
   * const doc = live('https://example.org/doc');
   * for await (const { value } of doc.changes()) console.log(value);
   * ```
   */
  changes(): AsyncIterableIterator<LiveChange<T>> {
    const queue: LiveChange<T>[] = [];
    let wake: (() => void) | undefined;
    let finished = this.#end !== undefined;
    if (!finished && this.#last !== undefined) queue.push(this.#last);
    const onChange = (e: Event): void => {
      queue.push((e as LiveChangeEvent<T>).change);
      wake?.();
    };
    const onEnd = (): void => {
      finished = true;
      wake?.();
    };
    const stop = (): void => {
      finished = true;
      this.removeEventListener('change', onChange);
      this.removeEventListener('end', onEnd);
      wake?.();
    };
    this.addEventListener('change', onChange);
    this.addEventListener('end', onEnd);
    const iterator: AsyncIterableIterator<LiveChange<T>> = {
      next: async (): Promise<IteratorResult<LiveChange<T>>> => {
        for (;;) {
          const change = queue.shift();
          if (change !== undefined) return { done: false, value: change };
          if (finished) {
            stop();
            if (this.#end === 'error') throw this.#error;
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: (): Promise<IteratorResult<LiveChange<T>>> => {
        stop();
        queue.length = 0;
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveChange<T>> {
    return this.changes();
  }

  /** Stops following the resource: closes the stream, stops re-fetching and polling. */
  close(): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort();
    this.#subscription?.close();
  }

  get #closed(): boolean {
    return this.#controller.signal.aborted;
  }

  async #run(): Promise<void> {
    const watch = this.#options.whenDeleted === 'watch';
    const reconnect = this.#options.reconnect;
    let polls = 0;
    try {
      for (;;) {
        if (this.#closed) throw CLOSED;
        const subscription = this.#subscribe();
        let ended: 'deleted' | 'expired' | 'closed' | undefined;
        try {
          for await (const item of subscription) {
            if (
              item.kind === 'representation' ||
              item.kind === 'notification' ||
              item.kind === 'part'
            )
              this.dispatchEvent(new LiveStreamEvent(item));
            switch (item.kind) {
              case 'representation':
                polls = 0;
                this.#representation(item);
                break;
              case 'notification':
                await this.#notification(item);
                break;
              case 'part':
                // An rfc822 part that does not parse: some event we cannot read. We asked
                // for message/rfc822 only, so other formats are not for us.
                if (item.error !== undefined) await this.#refetch(undefined);
                break;
              case 'reconnect':
                this.dispatchEvent(new LiveReconnectEvent(item));
                break;
              case 'end':
                ended = item.reason;
                break;
            }
            if (this.#closed) throw CLOSED;
          }
        } catch (e) {
          if (this.#closed || e === CLOSED) throw CLOSED;
          // The resource is not there (yet): with `watch`, wait for it.
          if (!(watch && isGone(e))) throw e;
          this.#set(undefined, undefined, 'delete', true);
          ended = 'deleted';
        } finally {
          subscription.close();
        }
        if (ended === 'closed' || ended === undefined) throw CLOSED;
        if (ended === 'expired') return this.#finish('expired');
        if (!watch) return this.#finish('deleted');
        polls++;
        if (!(await sleep(backoffDelay(polls, reconnect), this.#controller.signal))) throw CLOSED;
      }
    } catch (e) {
      if (e === CLOSED || this.#closed) return this.#finish('closed');
      this.#error = e;
      this.#rejectReady(e);
      this.dispatchEvent(new LiveErrorEvent(e));
      this.#finish('error');
    }
  }

  #subscribe(): Subscription {
    const o = this.#options;
    const options: SubscribeOptions = { signal: this.#controller.signal, fetch: this.#fetch };
    const applies = DELTAS_OF[this.#format];
    const delta = o.delta ?? applies[0];
    if (delta !== false && delta !== undefined && applies.length > 0) {
      options.delta = delta;
      if (delta === 'auto') options.deltaTypes = applies;
    }
    if (o.headers !== undefined) options.headers = o.headers;
    if (o.reconnect !== undefined) options.reconnect = o.reconnect;
    if (o.maxHeaderBytes !== undefined) options.maxHeaderBytes = o.maxHeaderBytes;
    options.onConnect = () => this.dispatchEvent(new Event('connect'));
    // A fresh subscription asks for the whole representation: no Last-Event-ID.
    this.#subscription = subscribe(this.url, options);
    return this.#subscription;
  }

  #finish(reason: LiveEndReason): void {
    if (this.#end !== undefined) return;
    this.#end = reason;
    if (this.#onAbort !== undefined)
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#controller.abort();
    // Ends before a first state: `ready` says so (it was never going to resolve).
    if (!this.#known)
      this.#rejectReady(new Error(`the live copy ended (${reason}) before its first state`));
    this.dispatchEvent(new LiveEndEvent(reason, this.#error));
    this.#resolveEnded(reason);
  }

  #representation(item: RepresentationItem): void {
    // Omitted (RSP-5): the server had nothing newer than the last event we saw.
    if (item.omitted) return;
    const contentType = item.headers.get('content-type') ?? undefined;
    const value = readValue<T>(this.#format, contentType, item.body);
    const etag = item.headers.get('etag') ?? undefined;
    this.#base = { value, etag, contentType };
    this.#catchUp = undefined;
    this.#set(value, etag, 'representation', false, contentType);
  }

  async #notification(n: NotificationItem): Promise<void> {
    this.#eventId = n.eventId;
    const self = isAboutResource(n.contentLocation, this.url);
    if (self && n.method.toUpperCase() === 'DELETE') {
      this.#catchUp = undefined;
      this.#set(undefined, undefined, 'delete', true);
      return;
    }
    const etag = n.etag;
    if (this.#catchUp !== undefined) {
      // Our state (a re-fetch) is newer than these events: skip up to the one that made it.
      if (etag === undefined) {
        this.#catchUp = undefined;
        await this.#refetch(n);
      } else if (etag === this.#catchUp) this.#catchUp = undefined;
      return;
    }
    // Already reflected in what we hold (the server may send an event twice, N822-5).
    if (etag !== undefined && etag === this.#etag) return;
    // The base already reflected the events since it: go back to it.
    if (etag !== undefined && this.#base !== undefined && etag === this.#base.etag) {
      this.#set(this.#base.value, this.#base.etag, 'base', false, this.#base.contentType);
      return;
    }
    // A member of a container changed (N822-6): the container's delta, if any, is not about it.
    if (self && n.delta !== undefined && !this.#deleted && this.#known) {
      const next = applyLiveDelta(this.#format, this.#value, n.delta);
      if (next.ok) {
        this.#set(next.value as T, etag, 'delta', false, this.#contentType);
        return;
      }
    }
    await this.#refetch(n);
  }

  /** A plain GET (If-None-Match), retried on network errors and 5xx with the reconnect backoff. */
  async #refetch(cause: NotificationItem | undefined): Promise<void> {
    const reconnect = this.#options.reconnect;
    const retries = retriesOf(reconnect);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#get(cause);
        return;
      } catch (e) {
        if (this.#closed) throw CLOSED;
        if (!isTransient(e) || attempt > retries) throw e;
        if (!(await sleep(backoffDelay(attempt, reconnect), this.#controller.signal))) throw CLOSED;
      }
    }
  }

  async #get(cause: NotificationItem | undefined): Promise<void> {
    // A plain GET: no Accept-Events (MTH-3 is about GET anyway; this one wants no stream).
    const headers = new Headers(this.#options.headers);
    headers.delete('Accept-Events');
    headers.delete('Last-Event-ID');
    if (this.#etag !== undefined && this.#known && !this.#deleted)
      headers.set('If-None-Match', this.#etag);
    const response = await this.#fetch(this.url, {
      method: 'GET',
      headers,
      signal: this.#controller.signal,
      cache: 'no-store',
    });
    // HDR-6: Events on a response to a request without Accept-Events makes it invalid.
    if (response.headers.has('events')) {
      await response.body?.cancel().catch(() => undefined);
      throw new PrepSubscribeError(
        'EVENTS_UNSOLICITED',
        'the re-fetch response has an Events field but asked for no notifications (HDR-6)',
        { status: response.status },
      );
    }
    const expected = cause?.etag;
    if (response.status === 304) {
      // Our state is current again (the resource went back to it): skip the events up to it.
      if (expected !== undefined && expected !== this.#etag) this.#catchUp = this.#etag;
      return;
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel().catch(() => undefined);
      // Deleted meanwhile; its DELETE notification follows and ends the stream.
      this.#catchUp = undefined;
      this.#set(undefined, undefined, 'delete', true);
      return;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new PrepSubscribeError(
        'HTTP_STATUS',
        `re-fetching ${this.url}: the server answered ${response.status}`,
        { status: response.status },
      );
    }
    const body = new Uint8Array(await response.arrayBuffer());
    const contentType = response.headers.get('content-type') ?? undefined;
    const value = readValue<T>(this.#format, contentType, body);
    const etag = response.headers.get('etag') ?? undefined;
    this.#base = { value, etag, contentType };
    // The GET may reflect events after `cause`: skip those until the one that made it.
    this.#catchUp =
      expected !== undefined && etag !== undefined && etag !== expected ? etag : undefined;
    this.#set(value, etag, 'refetch', false, contentType);
  }

  #set(
    value: T | undefined,
    etag: string | undefined,
    cause: LiveChange<T>['cause'],
    deleted: boolean,
    contentType?: string,
  ): void {
    const first = !this.#known;
    const changed =
      first ||
      deleted !== this.#deleted ||
      // Same ETag, same representation (RFC 9110 §8.8.3): nothing to announce.
      (!deleted && (etag === undefined || etag !== this.#etag));
    this.#value = value;
    this.#etag = etag;
    this.#contentType = contentType;
    this.#deleted = deleted;
    this.#known = true;
    if (first) this.#resolveReady();
    if (!changed) return;
    const change: LiveChange<T> = { value, etag, eventId: this.#eventId, deleted, cause };
    if (contentType !== undefined) change.contentType = contentType;
    this.#last = change;
    this.dispatchEvent(new LiveChangeEvent(change));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The value of a representation, read as `format` says. */
function readValue<T>(format: LiveFormat, contentType: string | undefined, body: Uint8Array): T {
  if (format === 'bytes') return body as T;
  if (format === 'json') return parseJson<T>(contentType, body);
  try {
    // The bytes as they are, a byte order mark included: diffs reproduce it (N822-8).
    return utf8.decode(body) as T;
  } catch (e) {
    throw new PrepSubscribeError('NOT_TEXT', 'the representation is not UTF-8 text', {
      cause: e,
    });
  }
}

function parseJson<T>(contentType: string | undefined, body: Uint8Array): T {
  if (contentType !== undefined) {
    let essence: string;
    try {
      essence = parseMediaType(contentType).essence;
    } catch {
      essence = '';
    }
    if (essence !== 'application/json' && !essence.endsWith('+json')) {
      throw new PrepSubscribeError(
        'NOT_JSON',
        `live() keeps JSON resources; this one is ${contentType}`,
      );
    }
  }
  try {
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch (e) {
    throw new PrepSubscribeError('NOT_JSON', 'the representation is not valid JSON', { cause: e });
  }
}

function applyLiveDelta(
  format: LiveFormat,
  value: unknown,
  delta: { type: string; body: Uint8Array },
): { ok: true; value: unknown } | { ok: false } {
  let type: string;
  try {
    type = parseMediaType(delta.type).essence;
  } catch {
    return { ok: false };
  }
  if (!DELTAS_OF[format].includes(type)) return { ok: false };
  try {
    if (format === 'text')
      return { ok: true, value: applyTextDiff(value as string, utf8.decode(delta.body)) };
    const patch = JSON.parse(new TextDecoder().decode(delta.body)) as unknown;
    if (type === 'application/json-patch+json')
      return { ok: true, value: applyJsonPatch(value, patch) };
    if (type === 'application/merge-patch+json')
      return { ok: true, value: applyMergePatch(value, patch) };
  } catch {
    // A delta that does not apply to our state: its base is not what we hold. Re-fetch.
  }
  return { ok: false };
}

/** A 404 or 410: the resource does not exist. */
function isGone(e: unknown): boolean {
  return (
    e instanceof PrepSubscribeError &&
    e.code === 'HTTP_STATUS' &&
    (e.status === 404 || e.status === 410)
  );
}

/** Worth asking again: the network failed, or the server had a passing problem. */
function isTransient(e: unknown): boolean {
  if (e instanceof PrepSubscribeError)
    return e.code === 'HTTP_STATUS' && isRetryableStatus(e.status ?? 0);
  return e instanceof TypeError;
}
