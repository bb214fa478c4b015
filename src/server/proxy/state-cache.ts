import type { Representation } from '@prep-live/client/core';
import type { UpstreamRead } from './upstream.js';

/**
 * What the proxy last saw of an upstream resource: its validators (for the conditional GETs
 * of `--poll`), and its representation when it was small enough to keep (the state before
 * the next change, for deltas: N822-8).
 */
export interface KnownState {
  etag: string | null;
  lastModified: string | null;
  /** The representation, identity-coded; absent when it was not kept. */
  representation?: Representation;
}

/** Bounds of {@link StateCache}, each with a documented default. */
export interface StateCacheOptions {
  /** Resources remembered. Default 10 000. */
  maxEntries?: number;
  /** Bytes of representations kept, all together. Default 64 MiB. */
  maxBytes?: number;
  /** A representation larger than this is not kept (its validators are). Default 1 MiB. */
  maxEntryBytes?: number;
}

/**
 * The last known state of each watched upstream resource, least recently used first out:
 * kept from the base GET of a subscription, the follow-up GET after a write, and the GETs of
 * the poller. Bounded in entries and bytes (SEC-2).
 *
 * A read races the writes it overlaps: a GET sent before a write was seen may answer the
 * state before or after it. So the cache counts the writes it is told of (`written`), and a
 * read keeps its state only if no write of that resource was seen since it was sent
 * (`stamp`, `setIfCurrent`): the state before the next change is never an older one.
 *
 * @example
 * ```ts
 * const cache = new StateCache({ maxBytes: 16 << 20 });
 * cache.set('/posts/1', { etag: 'W/"1"', lastModified: null, representation });
 * cache.get('/posts/1')?.representation; // the state before the next change
 * ```
 */
export class StateCache {
  readonly #entries = new Map<string, KnownState>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;
  /** Writes seen so far; the stamp of the last one seen per resource (bounded). */
  #writes = 0;
  readonly #lastWrite = new Map<string, number>();
  /** The newest stamp dropped from `#lastWrite`: a resource not in it was written no later. */
  #forgotten = 0;

  constructor(options: StateCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#maxEntryBytes = Math.min(options.maxEntryBytes ?? 1024 * 1024, this.#maxBytes);
  }

  /** Bytes of representations held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Resources remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** What is known of `path` (and it becomes the most recently used). */
  get(path: string): KnownState | undefined {
    const known = this.#entries.get(path);
    if (known) {
      this.#entries.delete(path);
      this.#entries.set(path, known);
    }
    return known;
  }

  /** Remembers `state` for `path`; a representation over the entry bound keeps only validators. */
  set(path: string, state: KnownState): void {
    this.delete(path);
    if (this.#maxEntries === 0) return;
    const kept: KnownState = { etag: state.etag, lastModified: state.lastModified };
    const r = state.representation;
    if (r && r.body.byteLength <= this.#maxEntryBytes) {
      kept.representation = r;
      this.#bytes += r.body.byteLength;
    }
    this.#entries.set(path, kept);
    for (const [oldest, known] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= known.representation?.body.byteLength ?? 0;
    }
  }

  /** The stamp of a read about to be sent (see `setIfCurrent`). */
  stamp(): number {
    return this.#writes;
  }

  /** A write of `path` was seen: reads sent before now may hold the state before it. */
  written(path: string): void {
    const stamp = ++this.#writes;
    this.#lastWrite.delete(path);
    this.#lastWrite.set(path, stamp);
    if (this.#lastWrite.size > Math.max(this.#maxEntries, 1024)) {
      const [oldest, at] = this.#lastWrite.entries().next().value as [string, number];
      this.#lastWrite.delete(oldest);
      this.#forgotten = at;
    }
  }

  /** Whether a write of `path` was seen since `stamp`. */
  changedSince(path: string, stamp: number): boolean {
    return (this.#lastWrite.get(path) ?? this.#forgotten) > stamp;
  }

  /** Keeps what a read sent at `stamp` found, unless a write seen since makes it stale. */
  setIfCurrent(path: string, state: KnownState, stamp: number): void {
    if (this.changedSince(path, stamp)) this.delete(path);
    else this.set(path, state);
  }

  /** Forgets `path` (its state changed in a way the proxy did not read). */
  delete(path: string): void {
    const known = this.#entries.get(path);
    if (!known) return;
    this.#entries.delete(path);
    this.#bytes -= known.representation?.body.byteLength ?? 0;
  }
}

/**
 * What a whole 200 response of the upstream says of its resource: its validators, and its
 * representation unless it came content-coded (a delta is made of the representation itself).
 *
 * @example
 * ```ts
 * cache.set('/posts/1', stateOf(await upstream.read('/posts/1', [], 1 << 20)));
 * ```
 */
export function stateOf(r: Pick<UpstreamRead, 'headers' | 'body'>): KnownState {
  const h = r.headers;
  const known: KnownState = { etag: h.etag ?? null, lastModified: h['last-modified'] ?? null };
  const coding = h['content-encoding']?.trim().toLowerCase();
  if (r.body && (coding === undefined || coding === '' || coding === 'identity'))
    known.representation = {
      contentType: h['content-type'] ?? 'application/octet-stream',
      body: r.body,
    };
  return known;
}

/**
 * Whether two looks at a resource show the same state: by ETag when both have one, else by
 * bytes, else by Last-Modified; with nothing to compare by, the same (no news rather than
 * false news).
 *
 * @example
 * ```ts
 * sameState({ etag: 'W/"1"', lastModified: null }, { etag: 'W/"2"', lastModified: null }); // false
 * ```
 */
export function sameState(a: KnownState, b: KnownState): boolean {
  if (a.etag !== null && b.etag !== null) return a.etag === b.etag;
  const x = a.representation;
  const y = b.representation;
  if (x && y) return Buffer.compare(x.body, y.body) === 0 && x.contentType === y.contentType;
  if (a.lastModified !== null && b.lastModified !== null) return a.lastModified === b.lastModified;
  return true;
}
