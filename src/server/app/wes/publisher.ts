import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatHttpDate } from '@prep-live/client/core';
import type { Store } from '../../../store/index.js';
import { HttpError, problemOf } from '../../http-error.js';
import { notModified } from '../preconditions.js';
import { authorize, type AccessPolicy } from '../../auth/access.js';
import { DEFAULTS } from '../../settings.js';
import { StoreHistory } from '../../log/store-history.js';
import { targetPath } from '../request-target.js';
import { FeedIndex } from './feed-index.js';
import {
  encodeDeterministic,
  entryPart,
  isMemberEntry,
  readEntries,
  type EntryNaming,
} from './feed-page.js';
import { SnapshotStore, type Snapshot } from './snapshots.js';
import {
  REL_WES_FEED,
  REL_WES_SNAPSHOT,
  WES_PREFIX,
  archivePath,
  changePath,
  feedPath,
  parseWesPath,
  snapshotIndexPath,
  snapshotPath,
  type WesRoute,
} from './urls.js';

/**
 * Options of {@link createWesPublisher}; every bound has a documented default.
 *
 * @example
 * ```ts
 * const options: WesPublisherOptions = { store, pageSize: 100, snapshotPartSize: 500 };
 * ```
 */
export interface WesPublisherOptions {
  store: Store;
  /** Entries per archive document (WES-5). Default 100. Changing it renumbers every page. */
  pageSize?: number;
  /** Entities per snapshot part (WES-2). Default 500. */
  snapshotPartSize?: number;
  /** Complete snapshots kept in memory per container. Default 2. */
  snapshotKeep?: number;
  /**
   * Bytes all snapshots may hold in memory, kept or being made, across containers (SEC-2).
   * Default 128 MiB. The least recently used are dropped to make room; a snapshot that does
   * not fit gets 503 `SNAPSHOT_BUSY` (others being made hold the memory; `Retry-After`) or
   * 507 `SNAPSHOT_TOO_LARGE` (the container alone is larger).
   */
  snapshotMemoryBytes?: number;
  /** A snapshot part closes once its entities' bytes reach this many. Default 4 MiB. */
  snapshotPartBytes?: number;
  /**
   * Regenerate, this often, the snapshot of every container that has one and changed since.
   * Default: never (snapshots are made on demand).
   */
  snapshotIntervalMs?: number;
  /**
   * A GET of the latest snapshot makes a new one when the container's feed has grown by more
   * than this many entries since the latest began (a consumer would replay them all).
   * Default `10 * pageSize`.
   */
  snapshotStaleAfter?: number;
  /** Entities read between two yields to the event loop while making a snapshot. Default 64. */
  snapshotYieldEvery?: number;
  /** Awaited at each yield while making a snapshot: paces generation. Default none. */
  snapshotThrottle?: () => Promise<void> | void;
  /**
   * Scheme and authority (and a path prefix, if any) to make links absolute, e.g.
   * `https://example.org`. Default: links are absolute paths. Never taken from `Host`, so
   * archives are byte-identical whatever name they were asked by.
   */
  baseUrl?: string;
  /** The right-hand side of entries' `Content-ID`s. Default the host of `baseUrl`, else `localhost`. */
  contentIdHost?: string;
  /** The store's clock (epoch ms), for snapshot times. Default `Date.now`. */
  now?: () => number;
  /** `Access-Control-Allow-Origin`; `false` turns CORS off. Default `*`. */
  corsOrigin?: string | false;
  /**
   * Fields sent with every page and snapshot part, which carry stored bodies (the resource
   * server passes its `contentSecurityHeaders`). Default none.
   */
  contentHeaders?: ReadonlyArray<readonly [string, string]>;
  /**
   * Who may replicate what (SEC-1): a container's snapshot and feed reveal all its members,
   * so they need the `replicate` right on it. With a policy every answer is
   * `Cache-Control: private` and varies on `Authorization`. Default none: all public.
   */
  access?: AccessPolicy;
  /**
   * What a collection is. `containers` (default): a path ending in `/`, whose feed holds the
   * events of its non-container members and whose snapshot lists them. `paths`: the log is
   * of resources kept elsewhere (`prep proxy`'s upstream): any path may be a collection, its
   * feed holds every event whose parent it is, and there are no snapshots (the store holds
   * no state: the collection's own GET is its snapshot).
   */
  collections?: 'containers' | 'paths';
}

/**
 * The WES publisher: answers requests under `/.well-known/wes/`.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 *
 * const app = createResourceServer({ store });
 * const wes: WesPublisher = createWesPublisher({ store });
 * http.createServer(async (req, res) => {
 *   if (!(await wes.handle(req, res))) app.handle(req, res);
 * });
 * ```
 */
export interface WesPublisher {
  /**
   * Answers a request under `/.well-known/wes/` and resolves true; resolves false, without
   * touching `res`, for any other path. Never rejects: errors become problem+json answers.
   * `path` is the request's normalized path when the caller has it (`targetPath`), else it
   * is taken from `req.url` the same way.
   */
  handle(req: IncomingMessage, res: ServerResponse, path?: string): Promise<boolean>;
  /** Makes a new snapshot of a container now (what POST to its snapshot URL does). */
  snapshot(containerPath: string): Promise<Snapshot | undefined>;
  /** Bytes of snapshots held in memory now (at most `snapshotMemoryBytes`). */
  snapshotBytes(): number;
  /** Stops the snapshot schedule. */
  close(): void;
}

const ARCHIVE_CACHE = 'public, max-age=31536000, immutable';
const JSON_TYPE = 'application/json';

type Headers = Array<[string, string]>;

/**
 * Creates the Web Event Sourcing publisher over a store: per container (its direct,
 * non-container members) a snapshot index and parts (WES-1, WES-2) and a change feed paged as
 * RFC 5005 archived feeds (WES-3..7). See `urls.ts` for the URL layout.
 *
 * What a container's feed holds: the events whose parent is the container and whose path is
 * not a container. The container's own events (its creation, its deletion) are entries of
 * its parent's feed, as events about one of that parent's members, so every event is in
 * exactly one feed and `changes/<id>` needs no container. Sub-containers are collections of
 * their own, left out of both the snapshot and the feed.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 *
 * const store = new SqliteStore({ filename: 'data/prep.db' });
 * await store.open();
 * const app = createResourceServer({ store });
 * const wes = createWesPublisher({ store, pageSize: 100 });
 * http
 *   .createServer((req, res) => {
 *     void wes.handle(req, res).then((done) => done || app.handle(req, res));
 *   })
 *   .listen(8080);
 * ```
 */
export function createWesPublisher(options: WesPublisherOptions): WesPublisher {
  const store = options.store;
  const pageSize = positive('pageSize', options.pageSize ?? 100);
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const url = (path: string): string => `${base}${path}`;
  const host = options.contentIdHost ?? (base ? new URL(base).host : 'localhost');
  const cors = options.corsOrigin ?? '*';
  const access = options.access;
  const anyPath = options.collections === 'paths';
  const isEntry = anyPath ? () => true : isMemberEntry;
  const contentHeaders = options.contentHeaders ?? [];
  const history = new StoreHistory(store);
  const naming: EntryNaming = {
    id: (seq) => history.eventId(seq),
    contentId: (seq) => `<${history.eventId(seq)}@${host}>`,
    url,
  };
  const snapshots = new SnapshotStore({
    store,
    partSize: positive('snapshotPartSize', options.snapshotPartSize ?? 500),
    url,
    keep: positive('snapshotKeep', options.snapshotKeep ?? 2),
    maxBytes: positive(
      'snapshotMemoryBytes',
      options.snapshotMemoryBytes ?? DEFAULTS.wesSnapshotMemory,
    ),
    partBytes: positive('snapshotPartBytes', options.snapshotPartBytes ?? 4 * 1024 * 1024),
    yieldEvery: positive('snapshotYieldEvery', options.snapshotYieldEvery ?? 64),
    now: options.now ?? Date.now,
    ...(options.snapshotThrottle ? { throttle: options.snapshotThrottle } : {}),
  });
  const indexes = new Map<string, FeedIndex>();
  const staleAfter = positive('snapshotStaleAfter', options.snapshotStaleAfter ?? 10 * pageSize);
  /** Where the feed stood when each kept snapshot began: epoch and entry count. */
  const marks = new Map<string, { epoch: number; count: number }>();

  /** Makes a snapshot (or joins the one being made), noting where the feed stood. */
  async function generate(container: string): Promise<Snapshot | undefined> {
    const index = await indexFor(container);
    const mark = { epoch: index.epoch, count: index.count };
    const s = await snapshots.generate(container);
    if (s && !marks.has(s.id)) marks.set(s.id, mark);
    for (const id of marks.keys()) if (!snapshots.byId(id)) marks.delete(id);
    return s;
  }

  /** The container's page index, brought up to date with the log. */
  async function indexFor(container: string): Promise<FeedIndex> {
    let index = indexes.get(container);
    if (!index) {
      index = new FeedIndex(store, container, pageSize, isEntry);
      indexes.set(container, index);
    }
    await index.refresh();
    // Bounded memory: no index is kept for a path that names no container and has no entries.
    if (index.count === 0 && !(await store.get(container))) indexes.delete(container);
    return index;
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.snapshotIntervalMs !== undefined) {
    timer = setInterval(
      () => {
        void regenerate().catch(() => undefined);
      },
      positive('snapshotIntervalMs', options.snapshotIntervalMs),
    );
    timer.unref();
  }

  async function regenerate(): Promise<void> {
    for (const container of snapshots.containers()) {
      const latest = snapshots.latest(container);
      const last = await store.lastEvent(container, { members: true });
      if (latest && last && last.seq > latest.seqAtStart) await generate(container);
    }
  }

  /**
   * A snapshot is usable while the log holds every event since it began (WES-8), and worth
   * serving while the feed has not grown much since.
   */
  async function usable(s: Snapshot): Promise<boolean> {
    if ((await store.oldestSeq()) > s.seqAtStart + 1) return false;
    const index = await indexFor(s.container);
    if (index.epoch > s.seqAtStart) return false;
    const mark = marks.get(s.id);
    return (
      mark !== undefined && mark.epoch === index.epoch && index.count - mark.count <= staleAfter
    );
  }

  function gone(container: string, detail: string): HttpError {
    return new HttpError(
      410,
      'WES_GONE',
      detail,
      anyPath ? {} : { Link: `<${url(snapshotPath(container))}>; rel="${REL_WES_SNAPSHOT}"` },
    );
  }

  function notFound(detail: string): HttpError {
    return new HttpError(404, 'NOT_FOUND', detail, { 'Cache-Control': 'no-store' });
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    r: WesRoute,
    method: string,
  ): Promise<void> {
    const head = method === 'HEAD';
    const principal = access ? access.identify(req.headers) : null;
    /** SEC-1: the container's snapshot and feed need `replicate` on it. */
    const guard = (container: string): void => {
      if (access) authorize(access, principal, 'replicate', container);
    };
    const replicable = (container: string): boolean =>
      !access || access.allows(principal, 'replicate', container);
    // Rights first, on the container the URL names, before anything is read.
    if (r.kind === 'feed' || r.kind === 'archive' || r.kind === 'snapshot') guard(r.container);
    if (r.kind === 'change' && r.container !== undefined) guard(r.container);
    if (method === 'POST' && r.kind === 'snapshot' && !anyPath)
      return postSnapshot(res, r.container);
    if (
      anyPath &&
      (r.kind === 'snapshot' || r.kind === 'snapshot-index' || r.kind === 'snapshot-part')
    )
      throw notFound(
        'This log is of resources kept elsewhere: there are no snapshots; GET the collection itself.',
      );
    if (method !== 'GET' && method !== 'HEAD')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here.`, {
        Allow: allowOf(r),
      });
    switch (r.kind) {
      case 'feed':
        return feed(req, res, r.container, head);
      case 'archive':
        return archive(req, res, r.container, r.epoch, r.k, head);
      case 'change':
        return change(res, r.id, r.container, principal);
      case 'snapshot':
        return latestSnapshot(req, res, r.container, head);
      case 'snapshot-index': {
        const s = snapshots.byId(r.id);
        // SEC-1: one answer for a snapshot that is not kept and one the principal may not
        // replicate (a 401 or 403 would name its container).
        if (!s || !replicable(s.container))
          throw notFound(`No snapshot ${r.id} is kept here; ask for a new one.`);
        const status = notModified(req, { etag: `"${s.id}"` }) ? 304 : 200;
        return send(res, status, indexHeaders(s, ARCHIVE_CACHE), s.index, head);
      }
      case 'snapshot-part': {
        const s = snapshots.byId(r.id);
        const part = s?.parts[r.n];
        if (!s || !part || !replicable(s.container))
          throw notFound(`No part ${r.n} of snapshot ${r.id} is kept here.`);
        // WES-2: the draft names it multipart/package; we send the registered multipart/mixed
        // with the same syntax (see the report in docs), and consumers accept both.
        const etag = `"${s.id}/${r.n}"`;
        return send(
          res,
          notModified(req, { etag }) ? 304 : 200,
          [
            ['Content-Type', `multipart/mixed; boundary="${part.boundary}"`],
            ['Cache-Control', ARCHIVE_CACHE],
            ['ETag', etag],
          ],
          part.bytes,
          head,
        );
      }
    }
  }

  /** WES-5: the subscription document: the entries after the last full archive. */
  async function feed(
    req: IncomingMessage,
    res: ServerResponse,
    container: string,
    head: boolean,
  ): Promise<void> {
    const index = await indexFor(container);
    if (index.count === 0 && !(await store.get(container)))
      throw notFound(`No container at ${container}.`);
    const k = index.currentPage;
    const start = index.starts[k];
    // Entries of this page that the log no longer holds are left out: they are older than
    // any usable snapshot (a snapshot is served only while the log holds every later event).
    const entries =
      start === undefined
        ? []
        : await readEntries(store, container, start - 1, pageSize, index.lastEntrySeq, isEntry);
    const first = entries[0];
    const last = entries.at(-1);
    const tag = history.eventId(0).slice(2);
    const etag = `"wes.${tag}.${index.epoch}.${k}.${first && last ? `${first.seq}-${last.seq}` : 'empty'}"`;
    const links = anyPath ? [] : [`<${url(snapshotPath(container))}>; rel="${REL_WES_SNAPSHOT}"`];
    if (k > 0)
      links.unshift(`<${url(archivePath(container, index.epoch, k - 1))}>; rel="prev-archive"`);
    const headers: Headers = [
      ['Cache-Control', 'no-cache'],
      ['ETag', etag],
    ];
    if (last) headers.push(['Last-Modified', formatHttpDate(last.time)]);
    if (links.length > 0) headers.push(['Link', links.join(', ')]);
    if (notModified(req, { etag, lastModified: last?.time }))
      return send(res, 304, headers, undefined, head);
    const { boundary, bytes } = encodeDeterministic(
      `${store.storeId}\n${container}\n${etag}`,
      entries.map((e) => entryPart(e, naming, (id) => changePath(id, container))),
    );
    headers.unshift(['Content-Type', `multipart/mixed; boundary="${boundary}"`]);
    return send(res, 200, headers, bytes, head);
  }

  /** WES-5: archive document k, which never changes once full. */
  async function archive(
    req: IncomingMessage,
    res: ServerResponse,
    container: string,
    epoch: number,
    k: number,
    head: boolean,
  ): Promise<void> {
    const index = await indexFor(container);
    if (epoch < index.epoch)
      throw gone(
        container,
        `The history before seq ${index.epoch + 1} was pruned; start from the snapshot.`,
      );
    if (epoch > index.epoch || k >= index.fullPages)
      throw notFound(
        `Archive ${k} of ${container} does not exist (yet); see ${feedPath(container)}.`,
      );
    const start = index.starts[k] as number;
    const entries = await readEntries(store, container, start - 1, pageSize, Infinity, isEntry);
    // Pruned (wholly or in part, which is a prefix): the page can no longer be rebuilt.
    if (entries.length < pageSize || entries[0]?.seq !== start)
      throw gone(container, `Archive ${k} of ${container} was pruned; start from the snapshot.`);
    const tag = history.eventId(0).slice(2);
    const etag = `"wes.${tag}.${epoch}.${k}"`;
    // RFC 5005 §4: prev-archive when there is an older page, next-archive and current always.
    const links: string[] = [];
    if (k > 0) links.push(`<${url(archivePath(container, epoch, k - 1))}>; rel="prev-archive"`);
    links.push(
      `<${url(archivePath(container, epoch, k + 1))}>; rel="next-archive"`,
      `<${url(feedPath(container))}>; rel="current"`,
    );
    const lastModified = (entries.at(-1) as { time: number }).time;
    const headers: Headers = [
      ['Cache-Control', ARCHIVE_CACHE],
      ['ETag', etag],
      ['Last-Modified', formatHttpDate(lastModified)],
      ['Link', links.join(', ')],
    ];
    if (notModified(req, { etag, lastModified })) return send(res, 304, headers, undefined, head);
    const { boundary, bytes } = encodeDeterministic(
      `${store.storeId}\n${container}\n${epoch}\n${k}`,
      entries.map((e) => entryPart(e, naming, (id) => changePath(id, container))),
    );
    headers.unshift(['Content-Type', `multipart/mixed; boundary="${boundary}"`]);
    return send(res, 200, headers, bytes, head);
  }

  /**
   * WES-7: an entry's self link redirects to the page that holds it. Its container's right is
   * checked (in `route`) before the log is read; an id that is not an entry of that container
   * gets the same 404 as one that names nothing. A link without its container (made before
   * links named it) has its right checked after the read, so with a policy every entry the
   * principal may not follow, whatever the reason, gets that same 404 (SEC-1).
   */
  async function change(
    res: ServerResponse,
    id: string,
    named: string | undefined,
    principal: string | null,
  ): Promise<void> {
    const none = (): HttpError =>
      notFound(named ? `No entry ${id} in the feed of ${named}.` : `No entry ${id} here.`);
    const hideReasons = named === undefined && access !== undefined;
    const seq = history.seqOf(id);
    if (seq === undefined) throw none();
    const event = await store.eventBySeq(seq);
    if (!event) {
      if (!hideReasons && seq <= (await store.lastSeq()))
        throw new HttpError(410, 'WES_GONE', `Entry ${id} was pruned from the log.`);
      throw none();
    }
    const container = event.parent;
    if (container === null || !isEntry(event)) throw none();
    if (
      named !== undefined
        ? container !== named
        : access?.allows(principal, 'replicate', container) === false
    )
      throw none();
    const index = await indexFor(container);
    const k = index.pageOf(seq);
    if (k === undefined)
      throw gone(container, `Entry ${id} is before the feed's epoch (pruned history).`);
    // A full archive never changes: a permanent redirect; the current page moves on.
    const archived = k < index.fullPages;
    const page = archived ? archivePath(container, index.epoch, k) : feedPath(container);
    res.writeHead(archived ? 301 : 302, [
      'Location',
      `${url(page)}#${id}`,
      'Cache-Control',
      cacheControl(archived ? ARCHIVE_CACHE : 'no-cache'),
      'Content-Length',
      '0',
      ...(access ? ['Vary', 'Authorization'] : []),
      ...corsFlat(),
    ]);
    res.end();
  }

  function indexHeaders(s: Snapshot, cacheControl: string): Headers {
    return [
      ['Content-Type', JSON_TYPE],
      ['Cache-Control', cacheControl],
      ['ETag', `"${s.id}"`],
      ['Content-Location', url(snapshotIndexPath(s.id))],
      ['Link', `<${url(feedPath(s.container))}>; rel="${REL_WES_FEED}"`],
    ];
  }

  /** WES-1: the latest usable snapshot's index, made now if there is none. */
  async function latestSnapshot(
    req: IncomingMessage,
    res: ServerResponse,
    container: string,
    head: boolean,
  ): Promise<void> {
    let s = snapshots.latest(container);
    if (!s || !(await usable(s))) s = await generate(container);
    if (s && !(await usable(s))) s = await generate(container);
    if (!s) throw notFound(`No container at ${container}.`);
    const headers = indexHeaders(s, 'no-cache');
    if (notModified(req, { etag: `"${s.id}"` })) return send(res, 304, headers, undefined, head);
    return send(res, 200, headers, s.index, head);
  }

  async function postSnapshot(res: ServerResponse, container: string): Promise<void> {
    const s = await generate(container);
    if (!s) throw notFound(`No container at ${container}.`);
    const headers = indexHeaders(s, 'no-store');
    headers.push(['Location', url(snapshotIndexPath(s.id))]);
    writeWithCors(res, 201, headers, s.index);
  }

  /** With a policy, what one principal may see is no shared cache's business (SEC-1). */
  function cacheControl(value: string): string {
    if (!access || value === 'no-store') return value;
    return value.startsWith('public, ') ? `private, ${value.slice(8)}` : `private, ${value}`;
  }

  function corsFlat(): string[] {
    return cors === false
      ? []
      : [
          'Access-Control-Allow-Origin',
          cors,
          'Access-Control-Expose-Headers',
          'ETag, Link, Location, Content-Location, Last-Modified',
        ];
  }

  function writeWithCors(
    res: ServerResponse,
    status: number,
    headers: Headers,
    body: Uint8Array | undefined,
    head = false,
  ): void {
    const flat: string[] = [];
    for (const [n, v] of headers) flat.push(n, n === 'Cache-Control' ? cacheControl(v) : v);
    if (access) flat.push('Vary', 'Authorization');
    if (body !== undefined) flat.push('Content-Length', String(body.length));
    for (const [n, v] of contentHeaders) flat.push(n, v);
    flat.push(...corsFlat());
    res.writeHead(status, flat);
    res.end(head || body === undefined ? undefined : body);
  }

  function send(
    res: ServerResponse,
    status: number,
    headers: Headers,
    body: Uint8Array | undefined,
    head: boolean,
  ): void {
    writeWithCors(res, status, headers, status === 304 ? undefined : body, head);
  }

  function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const p = problemOf(err);
    const doc: Record<string, unknown> = {
      type: 'about:blank',
      title: TITLES[p.status] ?? 'Error',
      status: p.status,
      code: p.code,
      detail: p.detail,
      instance: req.url,
    };
    // A 410 says where to start over: the snapshot (WES-8).
    const link = p.headers.Link;
    const snapshot = link && /^<([^>]*)>/.exec(link)?.[1];
    if (p.status === 410 && snapshot) doc.snapshot = snapshot;
    const body = new TextEncoder().encode(JSON.stringify(doc));
    const headers: Headers = [['Content-Type', 'application/problem+json']];
    for (const [n, v] of Object.entries(p.headers)) if (n !== 'Cache-Control') headers.push([n, v]);
    headers.push(['Cache-Control', p.headers['Cache-Control'] ?? 'no-store']);
    writeWithCors(res, p.status, headers, body, req.method === 'HEAD');
  }

  return {
    async handle(req, res, normalized) {
      const target = req.url ?? '/';
      let path = normalized;
      if (path === undefined) {
        try {
          path = targetPath(target);
        } catch (err) {
          if (!target.startsWith(WES_PREFIX)) return false;
          sendError(req, res, err);
          return true;
        }
      }
      if (!path.startsWith(WES_PREFIX)) return false;
      try {
        const method = req.method ?? 'GET';
        const r = parseWesPath(path, anyPath);
        if (!r) throw notFound(`Nothing at ${path}.`);
        if (method === 'OPTIONS') {
          const allow = allowOf(r);
          const h: Headers = [['Allow', allow]];
          if (cors !== false)
            h.push(
              ['Access-Control-Allow-Methods', allow],
              ['Access-Control-Allow-Headers', 'If-None-Match, If-Modified-Since, Authorization'],
              ['Access-Control-Max-Age', '600'],
            );
          writeWithCors(res, 204, h, undefined);
          return true;
        }
        await route(req, res, r, method);
      } catch (err) {
        sendError(req, res, err);
      }
      return true;
    },
    snapshot: (containerPath) => generate(containerPath),
    snapshotBytes: () => snapshots.heldBytes,
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** The methods a WES resource allows: POST only on a snapshot URL (a new snapshot). */
function allowOf(r: WesRoute): string {
  return r.kind === 'snapshot' ? 'GET, HEAD, POST, OPTIONS' : 'GET, HEAD, OPTIONS';
}

function positive(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}
