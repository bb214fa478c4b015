/**
 * The WES consumer (WES-8): a local replica of one collection, bootstrapped from a snapshot,
 * brought up to date from the change feed, then kept current live (PREP, else polling).
 *
 * What makes it exact: every local entity carries a `synced` flag, true when its local state
 * is known to equal the entity's state as of the feed position the replica has reached. A
 * snapshot's entities are not (each was read at some moment between `started` and
 * `completed`), nor is an entity fetched with GET (it may already include later events).
 * Entries are applied on synced entities only (a PATCH applied to a state that already
 * includes it would apply twice); an unsynced entity becomes synced by a full state (PUT,
 * POST, DELETE) or when the ETag after its last entry equals its own, and is otherwise
 * fetched again (conditionally). Crash safety: the state names the entities about to be
 * written (`dirty`) before their files change; on restart those are fetched again.
 */
import { applyDelta } from '../../core/delta/index.js';
import { isPrepError } from '../../core/errors.js';
import { sleep } from '../backoff.js';
import { wesError } from './errors.js';
import { fetchFeedPage, type FeedEntry, type FeedPage } from './feed.js';
import { findLink, parseLinkHeader } from './link.js';
import { watchContainer } from './live.js';
import { fetchSnapshotIndex, readSnapshotPart } from './snapshot.js';

/**
 * What a replica knows of one entity.
 *
 * @example
 * ```ts
 * const e: EntityState = { etag: '"abc"', contentType: 'application/json', synced: true };
 * ```
 */
export interface EntityState {
  etag?: string;
  contentType: string;
  /** The local state equals the entity's state at the replica's feed position. */
  synced: boolean;
}

/**
 * A replica's durable state, kept by its {@link ReplicaStorage}.
 *
 * @example
 * ```ts
 * const state: ReplicaState = { version: 1, container: 'https://example.org/notes/', phase: 'feed', entities: {} };
 * ```
 */
export interface ReplicaState {
  version: 1;
  /** The collection's URL. */
  container: string;
  /** `snapshot`: loading one (a restart loads it again); `feed`: following the feed. */
  phase: 'snapshot' | 'feed';
  snapshotId?: string;
  /** The snapshot's `started` (epoch ms): the feed is read from here until `lastId` is set. */
  started?: number;
  /** The `Content-ID` (without brackets) of the last entry applied. */
  lastId?: string;
  /** That entry's self link (WES-7), the quick way back to it. */
  lastSelf?: string;
  /** Whether the snapshot's entities were settled against the feed window (WES-8). */
  settled?: boolean;
  /** Entities whose local copy may be changing: fetched again after a restart. */
  dirty?: string[];
  /** By URL path. */
  entities: Record<string, EntityState>;
}

/**
 * Where a replica keeps its state and its entities' bytes. Paths are the entities' URL paths
 * (`/notes/a`). The CLI keeps them in a directory; {@link MemoryReplicaStorage} in memory.
 *
 * @example
 * ```ts
 * const storage: ReplicaStorage = new MemoryReplicaStorage();
 * ```
 */
export interface ReplicaStorage {
  load(): Promise<ReplicaState | undefined>;
  /** Saves the state atomically: after a crash, either the old or the new one is there. */
  save(state: ReplicaState): Promise<void>;
  read(path: string): Promise<Uint8Array | undefined>;
  /** Replaces the bytes atomically. */
  write(path: string, body: Uint8Array): Promise<void>;
  remove(path: string): Promise<void>;
}

/**
 * Progress of a long step, for progress bars.
 *
 * @example
 * ```ts
 * const p: ReplicaProgress = { phase: 'snapshot', done: 3, total: 7 };
 * ```
 */
export interface ReplicaProgress {
  phase: 'snapshot' | 'feed';
  done: number;
  total: number;
}

/**
 * What a replica did, for a summary.
 *
 * @example
 * ```ts
 * declare const replica: Replicator;
 * const s: ReplicaStats = replica.stats;
 * console.log(`${s.entities} entities, ${s.entries} entries, ${s.gets} GETs`);
 * ```
 */
export interface ReplicaStats {
  /** Snapshots loaded. */
  snapshots: number;
  /** Entities the replica holds now. */
  entities: number;
  /** Feed entries applied. */
  entries: number;
  /** Entities fetched one by one. */
  gets: number;
  /** Live notifications handled. */
  notifications: number;
  /** True when the last sync resumed from a remembered entry rather than a snapshot. */
  resumed: boolean;
}

/**
 * Options of {@link createReplicator}.
 *
 * @example
 * ```ts
 * const options: ReplicatorOptions = { url: 'https://example.org/notes/', storage: new MemoryReplicaStorage() };
 * ```
 */
export interface ReplicatorOptions {
  /** The collection (container) URL; it ends with `/`. */
  url: string;
  storage: ReplicaStorage;
  fetch?: typeof fetch;
  /** The feed's subscription document; default: discovered, else the well-known layout. */
  feedUrl?: string;
  /** The latest snapshot index; default: discovered, else the well-known layout. */
  snapshotUrl?: string;
  onProgress?: (progress: ReplicaProgress) => void;
  /** Things worth telling a person (restarts, fallbacks). */
  log?: (message: string) => void;
}

/**
 * Options of {@link Replicator.live}.
 *
 * @example
 * ```ts
 * const options: ReplicaLiveOptions = { intervalMs: 1000, prep: true, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface ReplicaLiveOptions {
  /** How often the subscription document is polled (with If-None-Match). Default 2000 ms. */
  intervalMs?: number;
  /** Subscribe with PREP to the container for near-real-time updates. Default true. */
  prep?: boolean;
  /** Stops following. */
  signal?: AbortSignal;
  /** Called after each change to the replica made while live. */
  onChange?: () => void;
}

const FEED_REL = 'https://datatracker.ietf.org/doc/draft-kiessling-web-eventsourcing/#feed';
const SNAPSHOT_REL = 'https://datatracker.ietf.org/doc/draft-kiessling-web-eventsourcing/#snapshot';

/**
 * A replica of one collection. `sync()` catches up (WES-8); `live()` keeps it current.
 *
 * @example
 * ```ts
 * const replica = createReplicator({ url: 'https://example.org/notes/', storage: new MemoryReplicaStorage() });
 * await replica.sync();
 * await replica.live({ signal: AbortSignal.timeout(60_000) });
 * ```
 */
export class Replicator {
  readonly #o: ReplicatorOptions;
  readonly #fetch: typeof fetch;
  readonly #container: URL;
  #feedUrl: string | undefined;
  #snapshotUrl: string | undefined;
  #state: ReplicaState | undefined;
  /** The subscription document's ETag when it was last read whole. */
  #feedEtag: string | undefined;
  readonly stats: ReplicaStats = {
    snapshots: 0,
    entities: 0,
    entries: 0,
    gets: 0,
    notifications: 0,
    resumed: false,
  };

  constructor(options: ReplicatorOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#container = new URL(options.url);
    if (!this.#container.pathname.endsWith('/'))
      throw new TypeError(`A collection URL ends with "/": ${options.url}`);
    this.#feedUrl = options.feedUrl;
    this.#snapshotUrl = options.snapshotUrl;
  }

  /** The current state (entities by path, the remembered entry). */
  get state(): ReplicaState | undefined {
    return this.#state;
  }

  /**
   * Catches up: resumes after the remembered entry when there is one and the feed still has
   * it; else loads a snapshot and reads the feed from its `started` (WES-8). Resolves when the
   * replica reflects the feed as of now.
   */
  async sync(): Promise<ReplicaStats> {
    await this.#discover();
    if (!this.#state) this.#state = await this.#load();
    await this.#repairDirty();
    this.stats.resumed = false;
    if (this.#state?.phase === 'feed') {
      try {
        const resumed = this.#state.lastId !== undefined;
        await this.#catchUp();
        this.stats.resumed = resumed;
        return this.#finish();
      } catch (e) {
        if (!isPrepError(e, 'WES_GONE')) throw e;
        this.#log(`the feed no longer holds the remembered entry (${e.message}): starting over`);
      }
    }
    let method: 'GET' | 'POST' = 'GET';
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#bootstrap(method);
      } catch (e) {
        // A part went away while we read it (the publisher restarted, or made newer ones).
        if (!isPrepError(e, 'WES_GONE') || attempt >= 3) throw e;
        this.#log(`the snapshot went away (${e.message}): loading the latest`);
        method = 'GET';
        continue;
      }
      try {
        await this.#catchUp();
        return this.#finish();
      } catch (e) {
        if (!isPrepError(e, 'WES_GONE') || attempt >= 3) throw e;
        // The history after the snapshot was pruned: ask for a fresh one.
        this.#log(`the feed lost history the snapshot needs (${e.message}): new snapshot`);
        method = 'POST';
      }
    }
  }

  /**
   * Keeps the replica current until `signal` aborts: subscribes to the container with PREP
   * (each notification naming a member: fetch it or delete it) and polls the subscription
   * document with If-None-Match, often when PREP is unavailable, now and then otherwise, to
   * move the remembered entry on. Call after {@link sync}.
   */
  async live(options: ReplicaLiveOptions = {}): Promise<void> {
    const signal = options.signal;
    const interval = options.intervalMs ?? 2000;
    let prepUp = false;
    let chain: Promise<void> = Promise.resolve();
    const pending = new Set<string>();
    const run = async (job: () => Promise<void>): Promise<void> => {
      if (signal?.aborted) return;
      try {
        try {
          await job();
        } catch (e) {
          // The feed lost our position: start over (sync does).
          if (!isPrepError(e, 'WES_GONE')) throw e;
          await this.sync();
        }
        options.onChange?.();
      } catch (e) {
        // A network hiccup or a server restart: the next poll or notification tries again.
        if (!signal?.aborted) this.#log(`live update failed: ${(e as Error).message}`);
      }
    };
    const enqueue = (job: () => Promise<void>): Promise<void> => {
      chain = chain.then(() => run(job));
      return chain;
    };
    const poll = () => enqueue(() => this.#poll());

    const prepLoop = async (): Promise<void> => {
      let attempt = 0;
      while (!signal?.aborted) {
        try {
          const init = signal ? { fetch: this.#fetch, signal } : { fetch: this.#fetch };
          for await (const ev of watchContainer(this.#container.href, init)) {
            if (ev.kind === 'open') {
              prepUp = true;
              attempt = 0;
              // Close the gap between the last poll and the subscription.
              void poll();
              continue;
            }
            this.stats.notifications++;
            const path = ev.location ? new URL(ev.location).pathname : undefined;
            if (path === undefined || !this.#isMember(path)) void poll();
            else if (!pending.has(path)) {
              // One fetch per member however many notifications arrive before it runs.
              pending.add(path);
              void enqueue(() => {
                pending.delete(path);
                return this.#refresh(path);
              });
            }
          }
        } catch (e) {
          if (signal?.aborted) return;
          if (!prepUp && isPrepError(e, 'WES_PROTOCOL')) {
            this.#log('PREP is not available here: polling the feed instead');
            return;
          }
          attempt++;
        } finally {
          prepUp = false;
        }
        // The stream ended (it expires) or failed: subscribe again, backing off on failures.
        await sleep(attempt > 0 ? Math.min(30_000, 250 * 2 ** attempt) : 50, signal);
      }
    };

    const running = options.prep === false ? Promise.resolve() : prepLoop();
    let ticks = 0;
    while (!signal?.aborted) {
      await sleep(interval, signal);
      if (signal?.aborted) break;
      // With PREP up the poll only moves the remembered entry on: every tenth tick is enough.
      if (!prepUp || ++ticks % 10 === 0) await poll();
    }
    await running.catch(() => undefined);
    await chain;
  }

  // --- catching up -------------------------------------------------------------------

  async #discover(): Promise<void> {
    if (this.#feedUrl && this.#snapshotUrl) return;
    try {
      const res = await this.#fetch(this.#container.href, { method: 'HEAD' });
      const links = parseLinkHeader(res.headers.get('link'), res.url || this.#container.href);
      this.#feedUrl ??= findLink(links, FEED_REL);
      this.#snapshotUrl ??= findLink(links, SNAPSHOT_REL);
    } catch {
      // fall back to the well-known layout below
    }
    const tail = this.#container.pathname.slice(1);
    this.#feedUrl ??= new URL(`/.well-known/wes/feed/${tail}`, this.#container).href;
    this.#snapshotUrl ??= new URL(`/.well-known/wes/snapshot/${tail}`, this.#container).href;
  }

  async #load(): Promise<ReplicaState | undefined> {
    const s = await this.#o.storage.load();
    if (!s || s.version !== 1 || s.container !== this.#container.href) return undefined;
    return s;
  }

  /** After a crash: what was being written is fetched again, whatever the files hold. */
  async #repairDirty(): Promise<void> {
    const s = this.#state;
    if (!s?.dirty?.length) return;
    for (const path of s.dirty) {
      const e = s.entities[path];
      if (e) {
        delete e.etag;
        e.synced = false;
      }
      await this.#fetchEntity(path, undefined);
    }
    delete s.dirty;
    await this.#save();
  }

  /** WES-8 step 1: load the snapshot, remember `started`. */
  async #bootstrap(method: 'GET' | 'POST'): Promise<void> {
    const storage = this.#o.storage;
    const index = await fetchSnapshotIndex(this.#snapshotUrl as string, {
      fetch: this.#fetch,
      method,
    });
    const old = this.#state?.entities ?? {};
    const fresh: Record<string, EntityState> = {};
    // Until the snapshot is loaded, the state tracks both the old and the new entities, so
    // a restart can clean up whatever this run wrote.
    const tracking = (): ReplicaState => ({
      version: 1,
      container: this.#container.href,
      phase: 'snapshot',
      entities: { ...old, ...fresh },
    });
    this.#state = tracking();
    await this.#save();
    const total = index.uris.length;
    this.#progress('snapshot', 0, total);
    for (const [n, uri] of index.uris.entries()) {
      for await (const entity of readSnapshotPart(uri, { fetch: this.#fetch })) {
        const path = new URL(entity.url).pathname;
        if (!this.#isMember(path)) continue;
        await storage.write(path, entity.body);
        const e: EntityState = { contentType: entity.contentType, synced: false };
        if (entity.etag) e.etag = entity.etag;
        fresh[path] = e;
      }
      this.#state = tracking();
      await this.#save();
      this.#progress('snapshot', n + 1, total);
    }
    for (const path of Object.keys(old)) if (!(path in fresh)) await storage.remove(path);
    this.#state = {
      version: 1,
      container: this.#container.href,
      phase: 'feed',
      snapshotId: index.id,
      started: index.started,
      settled: false,
      entities: fresh,
    };
    await this.#save();
    this.stats.snapshots++;
  }

  /**
   * WES-8 step 2 and 3: read the feed from the remembered entry (or, right after a snapshot,
   * from the first entry with Last-Modified >= started) to now, and apply it.
   */
  async #catchUp(first?: FeedPage): Promise<void> {
    const s = this.#state as ReplicaState;
    const lastId = s.lastId;
    // Last-Modified has whole seconds: start at the second `started` falls in. Entries from
    // just before `started` are harmless (they fold into the entity's latest state).
    const since = lastId === undefined ? Math.floor((s.started ?? 0) / 1000) * 1000 : undefined;
    const pages: FeedPage[] = [];
    let page = first ?? (await this.#page(this.#feedUrl as string));
    let begin = 0;
    this.#feedEtag = page.etag;
    if (lastId !== undefined && s.lastSelf && !page.entries.some((e) => e.id === lastId)) {
      // Far behind: go straight to the remembered entry through its self link (WES-7) and
      // read forward from there, page by page, instead of walking back from the newest.
      await this.#forward(s.lastSelf, lastId);
      return;
    }
    for (;;) {
      pages.unshift(page);
      if (lastId !== undefined) {
        const at = page.entries.findIndex((e) => e.id === lastId);
        if (at >= 0) {
          begin = at + 1;
          break;
        }
      } else {
        const firstEntry = page.entries[0];
        if (firstEntry && firstEntry.lastModified < (since as number)) {
          begin = page.entries.findIndex((e) => e.lastModified >= (since as number));
          if (begin < 0) begin = page.entries.length;
          break;
        }
      }
      if (!page.prevArchive) {
        // The start of the feed. Fine when reading from a time (nothing older is needed);
        // an entry we remember but cannot find is gone (WES-8: start again from a snapshot).
        if (lastId !== undefined)
          throw wesError('WES_GONE', `the feed no longer holds entry ${lastId}`);
        begin = 0;
        break;
      }
      page = await this.#page(page.prevArchive);
    }
    const batches: FeedEntry[][] = pages.map((p, i) =>
      i === 0 ? p.entries.slice(begin) : p.entries,
    );

    if (!s.settled) {
      // WES-8: an entity the window does not touch was not changed after `started`, so its
      // snapshot state is its state now; the others are settled by their entries.
      const touched = new Set(batches.flat().map((e) => new URL(e.about).pathname));
      for (const [path, e] of Object.entries(s.entities)) if (!touched.has(path)) e.synced = true;
      s.settled = true;
      await this.#save();
    }
    const total = batches.length;
    this.#progress('feed', 0, total);
    for (const [i, batch] of batches.entries()) {
      if (batch.length > 0) await this.#apply(batch);
      this.#progress('feed', i + 1, total);
    }
    // Entries before the window are in the snapshot: remember the newest entry read even
    // when none was applied, so the next read starts after it.
    const newest = pages.flatMap((p) => p.entries).at(-1);
    if (newest && s.lastId !== newest.id) {
      s.lastId = newest.id;
      if (newest.self) s.lastSelf = newest.self;
      else delete s.lastSelf;
      await this.#save();
    }
  }

  /**
   * Reads forward from the page the remembered entry's self link redirects to (301 to its
   * archive, 302 to the subscription document), following `next-archive` to the subscription
   * document; each page is applied as it arrives, so an interrupted run keeps its progress.
   */
  async #forward(self: string, lastId: string): Promise<void> {
    let page = await this.#page(self);
    const at = page.entries.findIndex((e) => e.id === lastId);
    if (at < 0) throw wesError('WES_GONE', `${self} does not lead to entry ${lastId}`);
    let done = 0;
    const step = async (entries: FeedEntry[], more: boolean) => {
      if (entries.length > 0) await this.#apply(entries);
      done++;
      this.#progress('feed', done, done + (more ? 1 : 0));
    };
    await step(page.entries.slice(at + 1), page.nextArchive !== undefined);
    let retries = 0;
    while (page.nextArchive) {
      let next: FeedPage;
      try {
        next = await this.#page(page.nextArchive);
      } catch (e) {
        if (!isPrepError(e, 'WES_GONE') || e.status !== 404) throw e;
        // Not archived yet: the rest is in the subscription document, which must follow
        // this archive directly; if an archive formed meanwhile, fetch that first.
        const current = await this.#page(page.current ?? (this.#feedUrl as string));
        if (current.prevArchive !== page.url) {
          if (++retries > 3) throw wesError('WES_GONE', `the feed after ${page.url} moved`);
          continue;
        }
        next = current;
        this.#feedEtag = current.etag;
      }
      retries = 0;
      await step(next.entries, next.nextArchive !== undefined);
      page = next;
    }
  }

  async #page(url: string): Promise<FeedPage> {
    const page = await fetchFeedPage(url, { fetch: this.#fetch });
    if (page === 'not-modified') throw wesError('WES_PROTOCOL', `${url}: 304 to a plain GET`);
    return page;
  }

  /** The live poll: the subscription document, conditionally; then whatever is new. */
  async #poll(): Promise<void> {
    const opts = this.#feedEtag
      ? { fetch: this.#fetch, ifNoneMatch: this.#feedEtag }
      : { fetch: this.#fetch };
    const page = await fetchFeedPage(this.#feedUrl as string, opts);
    if (page === 'not-modified') return;
    await this.#catchUp(page);
  }

  /** Applies one batch of entries (a page), crash-safely. */
  async #apply(entries: FeedEntry[]): Promise<void> {
    const s = this.#state as ReplicaState;
    const groups = new Map<string, FeedEntry[]>();
    for (const e of entries) {
      const path = new URL(e.about).pathname;
      if (!this.#isMember(path)) continue;
      const list = groups.get(path);
      if (list) list.push(e);
      else groups.set(path, [e]);
    }
    s.dirty = [...groups.keys()];
    await this.#save();
    for (const [path, list] of groups) await this.#applyEntity(path, list);
    const last = entries.at(-1) as FeedEntry;
    s.lastId = last.id;
    if (last.self) s.lastSelf = last.self;
    else delete s.lastSelf;
    delete s.dirty;
    await this.#save();
    this.stats.entries += entries.length;
  }

  /** WES-6: the entries about one entity, in order, as the requests they stand for. */
  async #applyEntity(path: string, list: FeedEntry[]): Promise<void> {
    const s = this.#state as ReplicaState;
    const storage = this.#o.storage;
    const lastEtag = list.at(-1)?.etag;
    let i = 0;
    const local = s.entities[path];
    if (local && !local.synced) {
      let full = -1;
      for (let j = list.length - 1; j >= 0; j--)
        if ((list[j] as FeedEntry).method !== 'PATCH') {
          full = j;
          break;
        }
      if (full >= 0) i = full;
      else {
        // Only patches: they may or may not be in the local state already.
        if (lastEtag !== undefined && lastEtag === local.etag) local.synced = true;
        else await this.#fetchEntity(path, lastEtag);
        return;
      }
    }
    for (; i < list.length; i++) {
      const e = list[i] as FeedEntry;
      switch (e.method) {
        case 'PUT':
        case 'POST': {
          await storage.write(path, e.body);
          const next: EntityState = {
            contentType: e.contentType ?? 'application/octet-stream',
            synced: true,
          };
          if (e.etag) next.etag = e.etag;
          s.entities[path] = next;
          break;
        }
        case 'DELETE':
          if (s.entities[path]) await storage.remove(path);
          delete s.entities[path];
          break;
        case 'PATCH': {
          const current = s.entities[path];
          const before = current?.synced ? await storage.read(path) : undefined;
          let after: Uint8Array | undefined;
          if (current && before && e.contentType) {
            try {
              after = applyDelta(e.contentType, before, e.body);
            } catch {
              after = undefined;
            }
          }
          if (!current || !after) {
            // Nothing to apply it to (or it does not apply): take the entity as it is now.
            await this.#fetchEntity(path, lastEtag);
            return;
          }
          await storage.write(path, after);
          if (e.etag) current.etag = e.etag;
          else delete current.etag;
          current.synced = true;
          break;
        }
      }
    }
  }

  /**
   * GETs one entity (conditional on the local ETag) and stores what it is now. The result is
   * synced only if it is the state the feed says it has (`expected`, the ETag after its last
   * entry), else it may be ahead of the feed position.
   */
  async #fetchEntity(path: string, expected: string | undefined): Promise<void> {
    const s = this.#state as ReplicaState;
    const local = s.entities[path];
    const headers: Record<string, string> = {};
    if (local?.etag) headers['If-None-Match'] = local.etag;
    const res = await this.#fetch(new URL(path, this.#container).href, { headers });
    this.stats.gets++;
    if (res.status === 304 && local) {
      await res.body?.cancel();
      local.synced = expected !== undefined && local.etag === expected;
      return;
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      if (local) await this.#o.storage.remove(path);
      delete s.entities[path];
      return;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw wesError('WES_HTTP', `GET ${path} answered ${res.status}`, res.status);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    await this.#o.storage.write(path, body);
    const etag = res.headers.get('etag') ?? undefined;
    const next: EntityState = {
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      synced: etag !== undefined && etag === expected,
    };
    if (etag !== undefined) next.etag = etag;
    s.entities[path] = next;
  }

  /** A live notification named a member: take it as it is now. */
  async #refresh(path: string): Promise<void> {
    const s = this.#state as ReplicaState;
    s.dirty = [path];
    await this.#save();
    await this.#fetchEntity(path, undefined);
    delete s.dirty;
    await this.#save();
  }

  // --- helpers -------------------------------------------------------------------------

  #isMember(path: string): boolean {
    const c = this.#container.pathname;
    if (!path.startsWith(c)) return false;
    const name = path.slice(c.length);
    return name !== '' && !name.includes('/');
  }

  async #save(): Promise<void> {
    if (this.#state) await this.#o.storage.save(this.#state);
  }

  #finish(): ReplicaStats {
    this.stats.entities = Object.keys(this.#state?.entities ?? {}).length;
    return this.stats;
  }

  #progress(phase: ReplicaProgress['phase'], done: number, total: number): void {
    this.#o.onProgress?.({ phase, done, total });
  }

  #log(message: string): void {
    this.#o.log?.(message);
  }
}

/**
 * Creates a {@link Replicator}.
 *
 * @example
 * ```ts
 * const replica = createReplicator({ url: 'https://example.org/notes/', storage: new MemoryReplicaStorage() });
 * const stats = await replica.sync();
 * ```
 */
export function createReplicator(options: ReplicatorOptions): Replicator {
  return new Replicator(options);
}

/**
 * A {@link ReplicaStorage} in memory (browsers, tests).
 *
 * @example
 * ```ts
 * const storage = new MemoryReplicaStorage();
 * await createReplicator({ url, storage }).sync();
 * storage.files.get('/notes/a'); // the entity's bytes
 * ```
 */
export class MemoryReplicaStorage implements ReplicaStorage {
  /** The entities' bytes by path. */
  readonly files = new Map<string, Uint8Array>();
  #state: string | undefined;

  load(): Promise<ReplicaState | undefined> {
    return Promise.resolve(
      this.#state === undefined ? undefined : (JSON.parse(this.#state) as ReplicaState),
    );
  }

  save(state: ReplicaState): Promise<void> {
    this.#state = JSON.stringify(state);
    return Promise.resolve();
  }

  read(path: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.files.get(path));
  }

  write(path: string, body: Uint8Array): Promise<void> {
    this.files.set(path, body.slice());
    return Promise.resolve();
  }

  remove(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }
}
