/**
 * The metadata of a stored resource: everything but its body. `members()` lists these.
 *
 * @example
 * ```ts
 * const meta: ResourceMeta = {
 *   path: '/notes/a',
 *   contentType: 'text/plain',
 *   etag: '"3f9a0c1d2e4b5a697887a6b5c4d3e2f1"',
 *   lastModified: Date.now(),
 * };
 * ```
 */
export interface ResourceMeta {
  /** Absolute URL path; a container's ends with `/`. */
  path: string;
  /** The media type; `application/json` for containers. */
  contentType: string;
  /** Strong, quoted entity tag. */
  etag: string;
  /** Epoch milliseconds of the last change (for a container: of its membership). */
  lastModified: number;
}

/**
 * A stored resource. Containers are resources too; their `body` is empty because the server
 * renders a container's representation from `members()`.
 *
 * @example
 * ```ts
 * const r = await store.get('/notes/a');
 * if (r) console.log(r.etag, new TextDecoder().decode(r.body));
 * ```
 */
export interface Resource extends ResourceMeta {
  /** The representation's bytes (empty for containers). */
  body: Uint8Array;
}

/**
 * The HTTP method a stored event stands for (`Event-Type: http-equiv=<method>`, WES-6).
 *
 * @example
 * ```ts
 * declare const event: StoredEvent;
 * const m: EventMethod = event.method; // 'PUT' | 'PATCH' | 'POST' | 'DELETE'
 * ```
 */
export type EventMethod = 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/**
 * What `apply()` asks the store to write: the resource at `path` becomes `body`.
 *
 * @example
 * ```ts
 * const change: PutChange = {
 *   op: 'put',
 *   path: '/notes/a',
 *   contentType: 'text/plain',
 *   body: new TextEncoder().encode('hi'),
 *   event: { method: 'PUT', status: 201 },
 * };
 * ```
 */
export interface PutChange {
  op: 'put';
  /** The resource to write. A container path (ending in `/`) takes an empty body only. */
  path: string;
  /** Ignored for containers, which are always `application/json`. */
  contentType: string;
  body: Uint8Array;
  /** POST semantics: fail with `STORE_EXISTS` instead of replacing an existing resource. */
  createOnly?: boolean;
  /**
   * Called, inside the write and before anything is written, with each missing container
   * above `path` that the write would create (top down); whatever it throws refuses the whole
   * write and propagates. For access checks: a writer must be allowed to create those too.
   */
  checkCreate?: (containerPath: string) => void;
  event: {
    method: 'PUT' | 'PATCH' | 'POST';
    /** The status the server answers the request with. */
    status: number;
    /**
     * What the event records as its body. Required for PATCH (the request's patch document);
     * for PUT and POST it defaults to the new state, which is what a WES feed entry carries.
     */
    body?: Uint8Array;
    /** The media type of `body` (for PATCH, the patch media type). */
    bodyType?: string;
  };
}

/**
 * What `apply()` asks the store to delete.
 *
 * @example
 * ```ts
 * const change: DeleteChange = { op: 'delete', path: '/notes/a', event: { method: 'DELETE', status: 204 } };
 * ```
 */
export interface DeleteChange {
  op: 'delete';
  path: string;
  event: { method: 'DELETE'; status: number };
}

/**
 * What `apply()` asks the store to record: one event about a resource whose state the store
 * does not keep (`prep proxy`'s upstream holds it). No resource is read or written; the
 * event is appended to the log like any other (seq, time, origin), so that streams, resumes
 * and feeds read it as they read the store's own.
 *
 * @example
 * ```ts
 * const change: RecordChange = {
 *   op: 'record',
 *   path: '/posts/1',
 *   parent: '/posts',
 *   etag: 'W/"2f-abc"',
 *   event: { method: 'PATCH', status: 200 },
 * };
 * ```
 */
export interface RecordChange {
  op: 'record';
  /** The resource the event is about (any absolute path: no container rule applies). */
  path: string;
  /** The collection whose subscribers and feed hear of it (never `path`); null for none. */
  parent: string | null;
  /** The resource's new entity tag (N822-5), as its origin sent it; null when unknown or gone. */
  etag: string | null;
  /** The parent's new entity tag, when known. Default null. */
  parentEtag?: string | null;
  event: {
    method: EventMethod;
    /** The status the triggering request was answered with. */
    status: number;
    /** The new state (PUT, POST), the patch (PATCH), or nothing: what a feed entry carries. */
    body?: Uint8Array;
    /** The media type of `body`; required with it. */
    bodyType?: string;
  };
}

/**
 * The outcome of `WriteRequest.apply`: one resource written or deleted, or an event recorded
 * about a resource kept elsewhere.
 *
 * @example
 * ```ts
 * const change: Change = { op: 'delete', path: '/notes/a', event: { method: 'DELETE', status: 204 } };
 * ```
 */
export type Change = PutChange | DeleteChange | RecordChange;

/**
 * One write, run by the store as one transaction: read `path`, call `apply(current)`, write the
 * returned change and append its events.
 *
 * `apply` is supplied by the server. It must be synchronous and free of side effects, because it
 * runs inside the transaction (and a backend may retry it); it checks preconditions (If-Match,
 * If-None-Match), applies patches, and may throw any error, which aborts the transaction and
 * propagates unchanged: a failed write changes nothing and announces nothing.
 *
 * The change may name another path than the request: a POST reads the container (to check its
 * preconditions) and creates a member.
 *
 * @example
 * ```ts
 * await store.write({
 *   path: '/notes/',
 *   apply: (container) => {
 *     if (!container) throw new Error('no such container');
 *     return {
 *       op: 'put',
 *       path: '/notes/x1',
 *       contentType: 'text/plain',
 *       body: new TextEncoder().encode('hi'),
 *       createOnly: true,
 *       event: { method: 'POST', status: 201 },
 *     };
 *   },
 * });
 * ```
 */
export interface WriteRequest {
  /** The resource `apply` receives: the request target (for POST, the container). */
  path: string;
  apply(current: Resource | undefined): Change;
}

/**
 * An entry of the event log. The log is ordered by `seq`, which is the commit order.
 *
 * @example
 * ```ts
 * for (const e of await store.events({ afterSeq: 0, path: '/notes/', parent: '/notes/' })) {
 *   console.log(e.seq, e.method, e.path, e.etag);
 * }
 * ```
 */
export interface StoredEvent {
  /** Commit order: strictly increasing, never reused, not even after `prune`. */
  seq: number;
  /** Epoch milliseconds of the commit; never decreases along `seq`. */
  time: number;
  /**
   * The store instance that wrote it (`Store.origin`: one per process that opened the
   * database), so that a follower can wait for that process's answer to the writer (N822-3);
   * null for events written before origins were recorded.
   */
  origin: string | null;
  method: EventMethod;
  /** The status the triggering request was answered with. */
  status: number;
  /** The resource the event is about (for a POST, the created member: N822-6, WES-3 `about`). */
  path: string;
  /** The direct parent container of `path`; null for the root. */
  parent: string | null;
  /** The resource's new entity tag (N822-5); null after DELETE. */
  etag: string | null;
  /** The parent container's new entity tag when its membership changed, else null. */
  parentEtag: string | null;
  /** The media type of `body`; null when there is no body. */
  contentType: string | null;
  /**
   * Full new state for PUT and POST, the request's patch for PATCH, null for DELETE (WES-3).
   * An auto-created container's event has an empty body: "PUT this container".
   */
  body: Uint8Array | null;
}

/**
 * What `write` returns: the events it appended, in seq order (auto-created parent containers
 * first, the change's own event last), and the written resource before and after.
 *
 * @example
 * ```ts
 * declare const request: WriteRequest;
 * const { events, after } = await store.write(request);
 * console.log(events.at(-1)?.seq, after?.etag);
 * ```
 */
export interface WriteResult {
  events: StoredEvent[];
  /** The resource at the change's path before the write; absent if it did not exist (or a record). */
  before?: Resource;
  /** The resource at the change's path after the write; absent after a delete (or a record). */
  after?: Resource;
}

/**
 * Which events `events()` returns, in seq order. `path` and `parent` combine with OR, so a
 * container subscriber asks `{ path: '/c/', parent: '/c/' }` (the container and its direct
 * members) in one call; without either, every event matches.
 *
 * @example
 * ```ts
 * const page = await store.events({ afterSeq: 41, path: '/c/', parent: '/c/', limit: 100 });
 * ```
 */
export interface EventQuery {
  /** Only events with `seq` greater than this. */
  afterSeq?: number;
  /** Events about this resource. */
  path?: string;
  /** Events about direct members of this container. */
  parent?: string;
  /** At most this many (the oldest first). Unbounded when absent: page with `afterSeq`. */
  limit?: number;
}

/**
 * Which members `members()` lists: a page of them, by path. Paging by the last path seen
 * (keyset) keeps each page's cost bounded by `limit` however large the container, and a
 * page never skips or repeats a member because another was added or removed before it.
 *
 * @example
 * ```ts
 * const first = await store.members('/notes/', { limit: 100 });
 * const next = await store.members('/notes/', { after: first?.at(-1)?.path, limit: 100 });
 * ```
 */
export interface MemberQuery {
  /** Only members whose path sorts after this one (code point order); absent: from the first. */
  after?: string | undefined;
  /** At most this many (rounded down; negative is 0). Unbounded when absent. */
  limit?: number | undefined;
}

/**
 * The history bound `prune` enforces. Both bounds may be given; an event beyond either goes.
 *
 * @example
 * ```ts
 * const removed = await store.prune({ maxEvents: 10_000, maxAgeMs: 7 * 24 * 3600_000 });
 * ```
 */
export interface PruneOptions {
  /** Keep at most this many of the newest events. */
  maxEvents?: number;
  /** Delete events whose `time` is more than this many milliseconds before `now`. */
  maxAgeMs?: number;
  /** The reference time for `maxAgeMs`; defaults to the store's clock. */
  now?: number;
}

/**
 * A resource store with its durable event log: the state and the log change in one transaction,
 * so nothing is announced that was not committed and nothing committed goes unannounced.
 * Every implementation passes `test/store/contract.ts`.
 *
 * Paths are absolute URL paths; a container path ends with `/`; `/` always exists. Every method
 * but `open` and `close` throws `StoreError` `STORE_CLOSED` unless the store is open.
 *
 * @example
 * ```ts
 * const store: Store = new MemoryStore();
 * await store.open();
 * const { events } = await store.write({
 *   path: '/notes/a',
 *   apply: () => ({ op: 'put', path: '/notes/a', contentType: 'text/plain', body: new TextEncoder().encode('hi'), event: { method: 'PUT', status: 201 } }),
 * });
 * console.log(events.map((e) => `${e.seq} ${e.method} ${e.path}`)); // ['1 PUT /notes/', '2 PUT /notes/a']
 * await store.close();
 * ```
 */
export interface Store {
  /**
   * A random id created once with the database and kept with it, so Event-IDs built from it
   * and `seq` never collide across databases. Readable while the store is open (else it throws
   * `STORE_CLOSED`).
   */
  readonly storeId: string;
  /**
   * A random id of this open instance (each process that opens the database has its own),
   * recorded with every event it writes (`StoredEvent.origin`). Readable while open.
   */
  readonly origin: string;

  /** Opens (and on first use creates) the store. Calling it on an open store does nothing. */
  open(): Promise<void>;
  /** Closes the store. Calling it on a closed store does nothing. */
  close(): Promise<void>;

  /** Runs one write as one transaction; see {@link WriteRequest}. */
  write(request: WriteRequest): Promise<WriteResult>;

  /** The resource at `path`, or undefined. */
  get(path: string): Promise<Resource | undefined>;
  /**
   * The direct members of a container, sorted by path in code point order, or the page of
   * them `query` asks for; undefined if there is no such container.
   */
  members(containerPath: string, query?: MemberQuery): Promise<ResourceMeta[] | undefined>;

  /** Held events matching `query`, in seq order. */
  events(query?: EventQuery): Promise<StoredEvent[]>;
  /** The held event with this seq, or undefined. */
  eventBySeq(seq: number): Promise<StoredEvent | undefined>;
  /**
   * The newest held event about `path` (with `members: true`, about `path` or one of its direct
   * members), or undefined.
   */
  lastEvent(path: string, options?: { members?: boolean }): Promise<StoredEvent | undefined>;
  /**
   * The newest held event about `path` with seq <= `atOrBefore` that carries the resource's
   * whole state: a PUT or POST (its body is the state) or a DELETE (no state), not a PATCH.
   * Where a rebuild of the resource's states may start (delta replays) without reading its
   * whole history. Optional: without it, a rebuild starts at the resource's oldest event.
   */
  lastStateEvent?(path: string, atOrBefore: number): Promise<StoredEvent | undefined>;
  /** The seq of the newest event ever appended (0 if none), even if it has been pruned. */
  lastSeq(): Promise<number>;
  /**
   * The seq of the oldest event still held, or `lastSeq() + 1` when none is held. Resuming
   * after seq `s` (a Last-Event-ID) replays every later event iff `oldestSeq() <= s + 1`.
   */
  oldestSeq(): Promise<number>;
  /** Deletes the oldest events beyond the bound; returns how many it deleted. */
  prune(options: PruneOptions): Promise<number>;
}

/**
 * What a follower of the log is told by {@link ListenableStore.listen}.
 *
 * @example
 * ```ts
 * declare const follower: { wake(): void }, path: { markAnswered(origin: string, seq: number): void };
 * const listener: CommitListener = {
 *   onCommit: () => follower.wake(),
 *   onMark: (origin, seq) => path.markAnswered(origin, seq),
 * };
 * ```
 */
export interface CommitListener {
  /** Something was committed by another connection (a wake-up only: read the log). */
  onCommit(): void;
  /**
   * Another instance (`origin`) has answered every write of its own up to `seq` (or its
   * writers have gone): its events up to there may be announced (N822-3 across processes).
   */
  onMark?(origin: string, seq: number): void;
}

/**
 * A store whose log several processes write and follow (DESIGN.md, "The event path, and
 * processes"): SQLite (a change check on the file), PostgreSQL (LISTEN/NOTIFY).
 *
 * @example
 * ```ts
 * if (canListen(store)) {
 *   const stop = await store.listen({ onCommit: () => console.log('read the log') });
 *   store.publishMark(42); // every write of mine up to seq 42 has been answered
 *   await stop();
 * }
 * ```
 */
export interface ListenableStore extends Store {
  /**
   * Calls `listener.onCommit` after commits by other connections (never trusted for content:
   * read the log from a high-water mark), and `onMark` with other instances' marks. Resolves
   * once listening; the returned function stops it.
   */
  listen(listener: CommitListener | (() => void)): Promise<() => Promise<void>>;
  /**
   * Publishes this instance's mark: every write it made up to `seq` has been answered (or its
   * writer has gone). Marks only grow; publishing is coalesced and never throws.
   */
  publishMark(seq: number): void;
}

/**
 * Whether a store can be followed across processes (it has `listen` and `publishMark`).
 *
 * @example
 * ```ts
 * const followed = canListen(store) ? store : undefined;
 * ```
 */
export function canListen(store: Store): store is ListenableStore {
  const s = store as Partial<ListenableStore>;
  return typeof s.listen === 'function' && typeof s.publishMark === 'function';
}
