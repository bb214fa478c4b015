import { randomBytes } from 'node:crypto';
import {
  MultipartError,
  createBoundary,
  encodeMultipartDocument,
  type MultipartPartInit,
} from '@prep-live/client/core';
import { isContainerPath, type Store } from '../../../store/index.js';
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

/**
 * Makes and keeps snapshots. Generation never blocks writes: it lists the members (metadata
 * only), then reads them one by one, yielding to the event loop every few reads, so writes go
 * on meanwhile. What it reads is therefore a mix of states between `started` and
 * `completed`, which is exactly what the draft allows: a consumer that replays the feed from
 * `started` ends up consistent (WES-8).
 *
 * Kept in memory, `keep` per container; a restart drops them and the next request makes a
 * new one. Concurrent requests for the same container share one generation.
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
  readonly #byId = new Map<string, Snapshot>();
  /** container -> its complete snapshots, newest last */
  readonly #byContainer = new Map<string, Snapshot[]>();
  readonly #running = new Map<string, Promise<Snapshot | undefined>>();

  constructor(options: SnapshotStoreOptions) {
    this.#o = {
      keep: 2,
      yieldEvery: 64,
      now: Date.now,
      ...options,
    };
  }

  /** The newest complete snapshot of a container, if any. */
  latest(container: string): Snapshot | undefined {
    return this.#byContainer.get(container)?.at(-1);
  }

  /** A kept snapshot by id. */
  byId(id: string): Snapshot | undefined {
    return this.#byId.get(id);
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
   * is no such container.
   */
  generate(container: string): Promise<Snapshot | undefined> {
    const running = this.#running.get(container);
    if (running) return running;
    const run = this.#generate(container).finally(() => this.#running.delete(container));
    this.#running.set(container, run);
    return run;
  }

  async #generate(container: string): Promise<Snapshot | undefined> {
    const { store, partSize, yieldEvery, url } = this.#o;
    // WES-1 / WES-8: `started` before anything is read, so every change the reads may have
    // missed is in the feed after it.
    const started = this.#o.now();
    const seqAtStart = await store.lastSeq();
    const members = await store.members(container);
    if (!members) return undefined;
    const id = `${new Date(started).toISOString()}-${randomBytes(3).toString('hex')}`;
    const parts: Snapshot['parts'] = [];
    let pending: MultipartPartInit[] = [];
    let entities = 0;
    let reads = 0;
    for (const meta of members) {
      // Sub-containers are collections of their own, with their own feed.
      if (isContainerPath(meta.path)) continue;
      if (++reads % yieldEvery === 0) await this.#pause();
      const r = await store.get(meta.path);
      if (!r) continue; // deleted meanwhile: the feed has the DELETE
      // WES-2: one part per entity.
      pending.push({
        headers: [
          ['Content-Disposition', 'inline'],
          ['Content-Type', r.contentType],
          ['Content-Location', url(r.path)],
          ['ETag', r.etag],
          ['Content-Length', String(r.body.length)],
        ],
        body: r.body,
      });
      entities++;
      if (pending.length >= partSize) {
        parts.push(encodePart(pending));
        pending = [];
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
    const snapshot: Snapshot = {
      id,
      container,
      started,
      completed,
      seqAtStart,
      entities,
      parts,
      index,
    };
    this.#keep(snapshot);
    return snapshot;
  }

  #keep(snapshot: Snapshot): void {
    const list = this.#byContainer.get(snapshot.container) ?? [];
    list.push(snapshot);
    while (list.length > this.#o.keep) {
      const old = list.shift() as Snapshot;
      this.#byId.delete(old.id);
    }
    this.#byContainer.set(snapshot.container, list);
    this.#byId.set(snapshot.id, snapshot);
  }

  async #pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.#o.throttle?.();
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
