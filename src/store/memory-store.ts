import { randomUUID } from 'node:crypto';
import { containerEtag } from './etag.js';
import { StoreError } from './errors.js';
import { CONTAINER_TYPE, planWrite, type PlanReader } from './plan-write.js';
import { ROOT, assertValidPath, comparePaths, isContainerPath, parentOf } from './paths.js';
import { readMemberQuery } from './member-query.js';
import type {
  EventQuery,
  MemberQuery,
  PruneOptions,
  Resource,
  ResourceMeta,
  Store,
  StoredEvent,
  WriteRequest,
  WriteResult,
} from './types.js';

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ now: () => 1_700_000_000_000 });
 * ```
 */
export interface MemoryStoreOptions {
  /** The clock for event times and Last-Modified (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link Store} in memory with the same semantics as the durable ones: for tests and for apps
 * that embed the engine without persistence. Each write runs synchronously to completion, so
 * writes commit in call order. Bodies are copied in and out, so callers cannot alter the state
 * by mutating an array. `close()` keeps the data; `open()` again resumes it.
 *
 * Event queries scan the log (from `afterSeq` on); bound it with `prune`.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * await store.open();
 * await store.write({
 *   path: '/a',
 *   apply: () => ({ op: 'put', path: '/a', contentType: 'text/plain', body: new Uint8Array([104, 105]), event: { method: 'PUT', status: 201 } }),
 * });
 * console.log((await store.get('/a'))?.etag);
 * ```
 */
export class MemoryStore implements Store {
  readonly #now: () => number;
  #open = false;
  #storeId: string | undefined;
  readonly #rows = new Map<string, Resource>();
  /** container path -> paths of its direct members */
  readonly #children = new Map<string, Set<string>>();
  /** held events, ascending seq */
  #log: StoredEvent[] = [];
  #lastSeq = 0;
  #lastTime = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  get storeId(): string {
    this.#check();
    return this.#storeId as string;
  }

  /** One process holds a memory store: its origin is its store id. */
  get origin(): string {
    return this.storeId;
  }

  open(): Promise<void> {
    if (this.#storeId === undefined) {
      // "Creating the database": done once per instance, kept across close()/open().
      this.#storeId = randomUUID();
      const time = this.#now();
      this.#rows.set(ROOT, {
        path: ROOT,
        contentType: CONTAINER_TYPE,
        body: new Uint8Array(0),
        etag: containerEtag(this.#storeId, 0),
        lastModified: time,
      });
      this.#children.set(ROOT, new Set());
    }
    this.#open = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#open = false;
    return Promise.resolve();
  }

  write(request: WriteRequest): Promise<WriteResult> {
    return this.#run(() => this.#write(request));
  }

  #write(request: WriteRequest): WriteResult {
    assertValidPath(request.path);
    const current = this.#rows.get(request.path);
    const change = request.apply(current && copy(current));
    // Time never goes back along the log, even if the wall clock does (WES-8 compares times).
    const time = Math.max(this.#now(), this.#lastTime);
    const storeId = this.#storeId as string;
    const reader: PlanReader = {
      get: (p) => this.#rows.get(p),
      hasMembers: (p) => (this.#children.get(p)?.size ?? 0) > 0,
    };
    // Planning throws before anything is touched; after it, nothing below can fail.
    const plan = planWrite({
      change,
      reader,
      lastSeq: this.#lastSeq,
      time,
      storeId,
      origin: storeId,
    });
    for (const row of plan.upserts) {
      const { parent, ...resource } = row;
      if (!this.#rows.has(row.path)) {
        if (parent !== null) this.#children.get(parent)?.add(row.path);
        if (isContainerPath(row.path)) this.#children.set(row.path, new Set());
      }
      this.#rows.set(row.path, { ...resource, body: copyBytes(resource.body) });
    }
    for (const p of plan.deletes) {
      this.#rows.delete(p);
      this.#children.delete(p);
      const parent = parentOf(p);
      if (parent !== null) this.#children.get(parent)?.delete(p);
    }
    const events = plan.events.map((e) => ({ ...e, body: e.body && copyBytes(e.body) }));
    this.#log.push(...events);
    const last = events.at(-1);
    if (last) {
      this.#lastSeq = last.seq;
      this.#lastTime = last.time;
    }
    const result: WriteResult = { events: events.map(copyEvent) };
    if (plan.before) result.before = copy(plan.before);
    if (plan.after) result.after = copy(plan.after);
    return result;
  }

  get(path: string): Promise<Resource | undefined> {
    return this.#run(() => {
      const r = this.#rows.get(path);
      return r && copy(r);
    });
  }

  members(containerPath: string, query?: MemberQuery): Promise<ResourceMeta[] | undefined> {
    return this.#run(() => {
      const set = this.#children.get(containerPath);
      if (!set) return undefined;
      const { after, limit } = readMemberQuery(query);
      let paths = [...set].sort(comparePaths);
      if (after !== '') paths = paths.filter((p) => comparePaths(p, after) > 0);
      if (limit !== undefined) paths = paths.slice(0, limit);
      return paths.map((p) => {
        const { body: _body, ...meta } = this.#rows.get(p) as Resource;
        return meta;
      });
    });
  }

  events(query: EventQuery = {}): Promise<StoredEvent[]> {
    return this.#run(() => {
      const { afterSeq = 0, path, parent, limit = Infinity } = query;
      const all = path === undefined && parent === undefined;
      const out: StoredEvent[] = [];
      for (let i = this.#firstAfter(afterSeq); i < this.#log.length && out.length < limit; i++) {
        const e = this.#log[i] as StoredEvent;
        if (all || e.path === path || (parent !== undefined && e.parent === parent)) {
          out.push(copyEvent(e));
        }
      }
      return out;
    });
  }

  eventBySeq(seq: number): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      const e = this.#log[this.#firstAfter(seq - 1)];
      return e && e.seq === seq ? copyEvent(e) : undefined;
    });
  }

  lastEvent(path: string, options: { members?: boolean } = {}): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      for (let i = this.#log.length - 1; i >= 0; i--) {
        const e = this.#log[i] as StoredEvent;
        if (e.path === path || (options.members === true && e.parent === path)) {
          return copyEvent(e);
        }
      }
      return undefined;
    });
  }

  lastStateEvent(path: string, atOrBefore: number): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      for (let i = this.#firstAfter(atOrBefore) - 1; i >= 0; i--) {
        const e = this.#log[i] as StoredEvent;
        if (e.path === path && e.method !== 'PATCH') return copyEvent(e);
      }
      return undefined;
    });
  }

  lastSeq(): Promise<number> {
    return this.#run(() => this.#lastSeq);
  }

  oldestSeq(): Promise<number> {
    return this.#run(() => this.#log[0]?.seq ?? this.#lastSeq + 1);
  }

  prune(options: PruneOptions): Promise<number> {
    return this.#run(() => {
      let cut = 0;
      if (options.maxEvents !== undefined) {
        cut = Math.max(cut, this.#log.length - Math.max(0, options.maxEvents));
      }
      if (options.maxAgeMs !== undefined) {
        const limit = (options.now ?? this.#now()) - options.maxAgeMs;
        // Times never decrease along the log, so the old events are a prefix.
        let i = 0;
        while (i < this.#log.length && (this.#log[i] as StoredEvent).time < limit) i++;
        cut = Math.max(cut, i);
      }
      if (cut > 0) this.#log = this.#log.slice(cut);
      return cut;
    });
  }

  /** Index of the first held event with seq > `seq` (binary search: seqs ascend). */
  #firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#log[mid] as StoredEvent).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #check(): void {
    if (!this.#open) throw new StoreError('STORE_CLOSED', 'The store is not open', { status: 503 });
  }

  /**
   * Runs `fn` now, synchronously (so writes commit in call order), and settles with its result;
   * the Promise executor turns a throw into a rejection with the thrown value unchanged.
   */
  #run<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) => {
      this.#check();
      resolve(fn());
    });
  }
}

function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function copy(r: Resource): Resource {
  return {
    path: r.path,
    contentType: r.contentType,
    body: copyBytes(r.body),
    etag: r.etag,
    lastModified: r.lastModified,
  };
}

function copyEvent(e: StoredEvent): StoredEvent {
  return { ...e, body: e.body && copyBytes(e.body) };
}
