import { randomBytes } from 'node:crypto';
import {
  MultipartError,
  createBoundary,
  encodeMultipartDocument,
  type MultipartPartInit,
} from '@prep-live/client/core';
import { isContainerPath, type Store } from '../../../store/index.js';
import { DEFAULTS } from '../../settings.js';
import { TurnBudget } from '../../engine/turn-budget.js';
import { HttpError } from '../../http-error.js';
import { snapshotPartPath } from './urls.js';

/**
 * A complete snapshot of one container (WES-1, WES-2), held in memory. Its bytes never
 * change: the index and every part are served with long caching.
 *
 * @example
 * ```ts
 * const snapshots = new SnapshotStore({ store, partSize: 500, url: (p) => p });
 * const s: Snapshot | undefined = await snapshots.generate('/notes/');
 * if (s) console.log(s.id, s.entities, s.parts.length);
 * ```
 */
export interface Snapshot {
  /** Unique across restarts: the start time (ISO 8601) and a random suffix. */
  id: string;
  container: string;
  /** Epoch ms, taken before reading began (WES-8: a consumer replays the feed from here). */
  started: number;
  /** Epoch ms, taken after the last entity was read. */
  completed: number;
  /** The store's `lastSeq()` when reading began: the feed must hold every later event. */
  seqAtStart: number;
  /** Entities in the snapshot. */
  entities: number;
  /** Each part's multipart bytes and boundary, in order. */
  parts: Array<{ boundary: string; bytes: Uint8Array }>;
  /** The index document's bytes (JSON). */
  index: Uint8Array;
  /** Bytes it holds in memory (its parts and index). */
  bytes: number;
}

/**
 * Options of {@link SnapshotStore}.
 *
 * @example
 * ```ts
 * const options: SnapshotStoreOptions = { store, partSize: 500, url: (p) => p };
 * ```
 */
export interface SnapshotStoreOptions {
  store: Store;
  /** Entities per part. */
  partSize: number;
  /** A part closes once its entities' bytes reach this many. Default 4 MiB. */
  partBytes?: number;
  /**
   * Bytes all snapshots may hold, complete or being made, across containers. Default
   * 128 MiB. The least recently used complete ones are dropped to make room; a snapshot that
   * still does not fit fails: 503 `SNAPSHOT_BUSY` (+ `Retry-After`) while others being made
   * hold the memory, else 507 `SNAPSHOT_TOO_LARGE`.
   */
  maxBytes?: number;
  /** Makes a path a link (absolute when the publisher has a base URL). */
  url: (path: string) => string;
  /** Complete snapshots kept per container (older ones are dropped). Default 2. */
  keep?: number;
  /** Entities read between two yields to the event loop. Default 64. */
  yieldEvery?: number;
  /** The store's clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Awaited between batches of reads: paces generation (and lets tests interleave writes). */
  throttle?: () => Promise<void> | void;
}

const encoder = new TextEncoder();

/** A part's bytes beyond its body and header fields (delimiter, line ends), at most. */
const PART_OVERHEAD = 128;

/** The bytes of a header block's fields. */
function headerBytes(headers: ReadonlyArray<readonly [string, string]>): number {
  let n = 0;
  for (const [name, value] of headers) n += name.length + value.length + 4;
  return n;
}

/**
 * Makes and keeps snapshots. Generation never blocks writes: it lists the members (metadata
 * only), then reads them one by one, yielding to the event loop every few reads (and every
 * few milliseconds), so writes go on meanwhile. What it reads is therefore a mix of states between `started` and
 * `completed`, which is exactly what the draft allows: a consumer that replays the feed from
 * `started` ends up consistent (WES-8).
 *
 * Kept in memory, `keep` per container and `maxBytes` in all (SEC-2), the least recently used
 * dropped first; a restart drops them and the next request makes a new one. Concurrent
 * requests for the same container share one generation.
 *
 * @example
 * ```ts
 * const snapshots = new SnapshotStore({ store, partSize: 500, url: (p) => p });
 * const s = await snapshots.generate('/notes/'); // undefined: no such container
 * if (s) snapshots.byId(s.id) === s; // true
 * ```
 */
export class SnapshotStore {
  readonly #o: Required<Omit<SnapshotStoreOptions, 'throttle'>> &
    Pick<SnapshotStoreOptions, 'throttle'>;
  /** Kept snapshots by id, least recently used first. */
  readonly #byId = new Map<string, Snapshot>();
  /** container -> its complete snapshots, newest last */
  readonly #byContainer = new Map<string, Snapshot[]>();
  readonly #running = new Map<string, Promise<Snapshot | undefined>>();
  /** Bytes of the kept snapshots. */
  #held = 0;
  /** Bytes taken by the snapshots being made. */
  #making = 0;

  constructor(options: SnapshotStoreOptions) {
    this.#o = {
      keep: 2,
      yieldEvery: 64,
      now: Date.now,
      partBytes: 4 * 1024 * 1024,
      maxBytes: DEFAULTS.wesSnapshotMemory,
      ...options,
    };
  }

  /** Bytes held now: every kept snapshot and those being made (at most `maxBytes`). */
  get heldBytes(): number {
    return this.#held + this.#making;
  }

  /** The newest complete snapshot of a container, if any. */
  latest(container: string): Snapshot | undefined {
    const s = this.#byContainer.get(container)?.at(-1);
    if (s) this.#touch(s);
    return s;
  }

  /** A kept snapshot by id. */
  byId(id: string): Snapshot | undefined {
    const s = this.#byId.get(id);
    if (s) this.#touch(s);
    return s;
  }

  /** Containers that have a snapshot (for scheduled regeneration). */
  containers(): string[] {
    return [...this.#byContainer.keys()];
  }

  /** A generation of this container in progress, if any. */
  running(container: string): Promise<Snapshot | undefined> | undefined {
    return this.#running.get(container);
  }

  /**
   * Makes a new snapshot of `container` (or joins the one being made); undefined when there
   * is no such container. Rejects with an `HttpError` 503 or 507 when it cannot fit in
   * `maxBytes`.
   */
  generate(container: string): Promise<Snapshot | undefined> {
    const running = this.#running.get(container);
    if (running) return running;
    const run = this.#generate(container).finally(() => this.#running.delete(container));
    this.#running.set(container, run);
    return run;
  }

  async #generate(container: string): Promise<Snapshot | undefined> {
    const { store, partSize, partBytes, yieldEvery, url } = this.#o;
    // WES-1 / WES-8: `started` before anything is read, so every change the reads may have
    // missed is in the feed after it.
    const started = this.#o.now();
    const seqAtStart = await store.lastSeq();
    const members = await store.members(container);
    if (!members) return undefined;
    const id = `${new Date(started).toISOString()}-${randomBytes(3).toString('hex')}`;
    const parts: Snapshot['parts'] = [];
    let pending: MultipartPartInit[] = [];
    let pendingBytes = 0;
    let entities = 0;
    let reads = 0;
    let taken = 0;
    const take = (bytes: number): void => {
      taken += bytes;
      this.#making += bytes;
      this.#makeRoom(container, taken);
    };
    const turn = new TurnBudget();
    try {
      for (const meta of members) {
        // Sub-containers are collections of their own, with their own feed.
        if (isContainerPath(meta.path)) continue;
        if (++reads % yieldEvery === 0 || turn.due) {
          await turn.next();
          await this.#o.throttle?.();
        }
        const r = await store.get(meta.path);
        if (!r) continue; // deleted meanwhile: the feed has the DELETE
        // WES-2: one part per entity.
        const headers: Array<[string, string]> = [
          ['Content-Disposition', 'inline'],
          ['Content-Type', r.contentType],
          ['Content-Location', url(r.path)],
          ['ETag', r.etag],
          ['Content-Length', String(r.body.length)],
        ];
        take(r.body.length + PART_OVERHEAD + headerBytes(headers) + url(r.path).length);
        pending.push({ headers, body: r.body });
        pendingBytes += r.body.length;
        entities++;
        if (pending.length >= partSize || pendingBytes >= partBytes) {
          parts.push(encodePart(pending));
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pending.length > 0) parts.push(encodePart(pending));
      const completed = Math.max(this.#o.now(), started);
      const index = encoder.encode(
        JSON.stringify({
          id,
          started,
          completed,
          uris: parts.map((_, n) => url(snapshotPartPath(id, n))),
        }),
      );
      let bytes = index.length;
      for (const p of parts) bytes += p.bytes.length;
      const snapshot: Snapshot = {
        id,
        container,
        started,
        completed,
        seqAtStart,
        entities,
        parts,
        index,
        bytes,
      };
      this.#making -= taken;
      taken = 0;
      this.#keep(snapshot);
      return snapshot;
    } finally {
      this.#making -= taken;
    }
  }

  /**
   * SEC-2: makes room for what a generation of `container` has taken (`taken` of the
   * `#making` bytes) by dropping the least recently used kept snapshots; throws when it
   * cannot.
   */
  #makeRoom(container: string, taken: number): void {
    const max = this.#o.maxBytes;
    this.#dropUntil(max);
    if (this.#held + this.#making <= max) return;
    if (this.#making > taken)
      throw new HttpError(
        503,
        'SNAPSHOT_BUSY',
        `Snapshots being made hold the memory this one of ${container} needs (at most ${max} bytes in all, snapshotMemoryBytes, --wes-snapshot-memory); retry shortly.`,
        { 'Retry-After': '5' },
      );
    throw new HttpError(
      507,
      'SNAPSHOT_TOO_LARGE',
      `A snapshot of ${container} needs more than the ${max} bytes snapshots may hold (snapshotMemoryBytes, --wes-snapshot-memory); its feed can still be read.`,
    );
  }

  #keep(snapshot: Snapshot): void {
    const list = this.#byContainer.get(snapshot.container) ?? [];
    list.push(snapshot);
    this.#byContainer.set(snapshot.container, list);
    this.#byId.set(snapshot.id, snapshot);
    this.#held += snapshot.bytes;
    while (list.length > this.#o.keep) this.#drop(list[0]!);
    // Its bytes were taken while it was made (an upper bound): this only settles the count.
    this.#dropUntil(this.#o.maxBytes, snapshot);
  }

  /** Drops the least recently used kept snapshots (but `spare`) until `max` holds. */
  #dropUntil(max: number, spare?: Snapshot): void {
    for (const old of this.#byId.values()) {
      if (this.#held + this.#making <= max) return;
      if (old !== spare) this.#drop(old);
    }
  }

  #drop(s: Snapshot): void {
    if (!this.#byId.delete(s.id)) return;
    this.#held -= s.bytes;
    const list = this.#byContainer.get(s.container);
    const at = list?.indexOf(s) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
    if (list?.length === 0) this.#byContainer.delete(s.container);
  }

  /** Marks a snapshot as just used (kept longest when memory runs short). */
  #touch(s: Snapshot): void {
    this.#byId.delete(s.id);
    this.#byId.set(s.id, s);
  }
}

/** WES-2: a multipart document with a fresh boundary no entity contains. */
function encodePart(parts: MultipartPartInit[]): { boundary: string; bytes: Uint8Array } {
  for (let attempt = 0; ; attempt++) {
    const boundary = createBoundary();
    try {
      return { boundary, bytes: encodeMultipartDocument(boundary, parts) };
    } catch (err) {
      if (!(err instanceof MultipartError) || err.code !== 'MULTIPART_BODY' || attempt > 8)
        throw err;
    }
  }
}
