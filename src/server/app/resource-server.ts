import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError, canListen, type Store } from '../../store/index.js';
import type { WriteRate } from '../auth/write-rate.js';
import { PrepEngine, type EngineOptions } from '../engine/engine.js';
import { notePrincipal } from '../engine/request-record.js';
import type { Logger } from '../engine/logger.js';
import { HttpError, problemOf, sendProblem } from '../http-error.js';
import { DEFAULTS } from '../settings.js';
import { EventPath } from '../log/event-path.js';
import { pruneOnInterval, type HistoryBound } from '../log/history-bound.js';
import { StoreHistory } from '../log/store-history.js';
import { contentSecurityHeaders, type ContentSecurity } from './content-security.js';
import { corsHeaders } from './cors.js';
import { StreamConnections } from './stream-connections.js';
import { handleDelete } from './handlers/delete.js';
import { handleOptions } from './handlers/options.js';
import { handlePatch } from './handlers/patch.js';
import { handlePost } from './handlers/post.js';
import { handlePut } from './handlers/put.js';
import { handleRead } from './handlers/read.js';
import { DEFAULT_LISTING_BOUNDS, type ListingBounds } from './listing.js';
import type { ResourceContext } from './resource-context.js';
import { DEFAULT_WRITE_RATE, RequestGuard } from './request-guard.js';
import {
  RESERVED,
  allowedMethods,
  checkPathDepth,
  checkTargetLength,
  targetPath,
} from './request-target.js';
import { createWesPublisher, type WesPublisherOptions } from './wes/index.js';

export { DEFAULT_WRITE_RATE } from './request-guard.js';
export { targetPath } from './request-target.js';

/**
 * A handler the router asks first (the web page, the WES publisher). `path` is the request's
 * normalized path (`targetPath`): decide on it, never on `req.url`, which may spell the same
 * path otherwise (`/x/../.well-known/...`).
 */
export interface PreHandler {
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean | Promise<boolean>;
  /** The request fields it picks its answer or ours for `path` by (`['Accept']`), if any. */
  negotiates?(path: string): readonly string[];
}

/** Options of {@link createResourceServer}; every bound has a documented default (SEC-2). */
export interface ResourceServerOptions extends EngineOptions {
  store: Store;
  /** Largest request body in bytes. Default 1 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Largest representation a write may leave, whatever its form (PUT, POST, JSON Patch,
   * merge patch), in bytes. Default `maxBodyBytes`; larger gets 413 `RESOURCE_TOO_LARGE` and
   * nothing is written.
   */
  maxResourceBytes?: number;
  /** Most operations in one JSON Patch. Default 2000; more gets 422 `PATCH_TOO_COMPLEX`. */
  maxPatchOperations?: number;
  /**
   * Bytes of the document one JSON Patch may move or copy (an insert into or removal from
   * an array moves every later element, 8 bytes each; a copy duplicates its value). Default
   * 128 MiB; more gets 422 `PATCH_TOO_COMPLEX` and nothing is written.
   */
  maxPatchTouchedBytes?: number;
  /**
   * Paged container listings (`GET /c/?limit=&after=`): the page size when none is asked
   * for (default 100) and the largest honoured (default 1000; a larger `limit` gets this).
   */
  listing?: Partial<ListingBounds>;
  /** Longest request target in characters. Default 4096; longer ones get 414. */
  maxUrlLength?: number;
  /**
   * Most segments in a request path. Default 32; deeper paths get 414 `PATH_TOO_DEEP`
   * (a write creates every missing container above its path, each one an event).
   */
  maxPathDepth?: number;
  /**
   * `Access-Control-Allow-Origin` for browsers on other origins (SEC-4); `false` turns CORS
   * off. Default `*`.
   */
  corsOrigin?: string | false;
  /**
   * `X-Content-Type-Options` and `Content-Security-Policy` of stored content (GET, HEAD,
   * streams, WES pages), so that a stored page cannot script this origin. Default
   * `{ nosniff: true, csp: 'sandbox' }`.
   */
  contentSecurity?: ContentSecurity;
  /** Event log bound (count and age), enforced every `pruneIntervalMs`. */
  history?: HistoryBound;
  /**
   * Web Event Sourcing (WES-1..8): snapshots and the change feed of every container under
   * `/.well-known/wes/`. On by default; `false` turns it off.
   */
  wes?: false | Omit<WesPublisherOptions, 'store' | 'corsOrigin' | 'contentHeaders'>;
  /**
   * Handlers asked first, in order (the web page, ...); one that returns true has answered.
   * One that answers some GETs of a resource path and leaves the others to the resource
   * server (the web page's HTML for `/`) names the request fields it decides by
   * (`negotiates`): every answer for that path, its own and ours, then lists them in `Vary`.
   */
  preHandlers?: ReadonlyArray<PreHandler>;
  /**
   * How long a committed write whose writer does not take its response may hold up later
   * notifications of the same resource (they go out in commit order, N822-3); then that
   * writer is disconnected. Default 10 000 ms.
   */
  writerStallMs?: number;
  /**
   * Follow the store's log, which other processes may write too (several `prep serve` on
   * one SQLite file, workers, PostgreSQL nodes: README, "Several processes"): their writes
   * reach this process's subscribers, once, in commit order, announced once their writers
   * have had their responses (N822-3). Default: on for stores that can `listen` (SQLite,
   * PostgreSQL); `true` with one that cannot is an error. Notifications of other processes'
   * PUTs carry no delta (a PATCH's own patch still goes out).
   */
  follow?: boolean | { pollIntervalMs?: number; pageSize?: number };
  /**
   * Write rate limit (SEC-2): a token bucket per client (the principal when authenticated,
   * else the address) for PUT, PATCH, POST and DELETE; the excess gets 429 with Retry-After
   * and changes nothing. A policy's `limitsOf(principal).writesPerMinute` overrides it per
   * principal. Default `{ perSecond: 100, burst: 200 }` with an access policy, off (`false`)
   * without one.
   */
  writeRate?: WriteRate | false;
  /**
   * Where to log what an operator must see (pino's shape): a request that failed with a 5xx
   * (its error, which the client is not told), reads of the followed log that fail. The
   * per-request log is the listener's (`log`, `onRequest`). Default: none.
   */
  logger?: Logger;
}

/**
 * The reference resource server: any media type under any path, JSON first-class,
 * containers (paths ending in `/`) that list their members and create them on POST; every
 * resource can be watched live with PREP. Returns a node:http request listener (`handle`):
 * a router in front of one handler per method (`handlers/`).
 *
 * @example
 * ```ts
 * import http from 'node:http';
 *
 * const store = new SqliteStore({ filename: './data/prep.db' });
 * await store.open();
 * const app = createResourceServer({ store });
 * http.createServer(app.handle).listen(8080);
 * ```
 */
export function createResourceServer(options: ResourceServerOptions) {
  const store = options.store;
  if (options.follow && !canListen(store))
    throw new TypeError('follow needs a store that can listen (SqliteStore, PostgresStore)');
  const engine = new PrepEngine(options);
  const history = new StoreHistory(store, engine.replayBudget);
  const access = options.access;
  const guard = new RequestGuard(
    engine,
    access,
    options.writeRate ?? (access ? DEFAULT_WRITE_RATE : false),
  );
  const follow =
    options.follow === false ? undefined : options.follow === true ? {} : (options.follow ?? {});
  const followed = follow ? history.followed() : undefined;
  /** Store failures (not a client's mistake: status 500 and up), by code, for metrics. */
  const storeErrors = new Map<string, number>();
  const countStoreError = (e: unknown): void => {
    if (e instanceof StoreError && (e.status ?? 500) >= 500)
      storeErrors.set(e.code, (storeErrors.get(e.code) ?? 0) + 1);
  };
  const events = new EventPath({
    hub: engine.hub,
    history,
    ...(followed ? { follow: followed, ...follow } : {}),
    writerStallMs: options.writerStallMs ?? 10_000,
    onError: (err) => {
      countStoreError(err);
      options.logger?.warn({ err }, 'reading the log failed; retrying');
    },
  });
  /**
   * Requests whose handlers are still at work (a stream's, until it is set up): a drain
   * waits for them. A count, not a set of responses: nothing is held per open stream.
   */
  let working = 0;
  const contentHeaders = contentSecurityHeaders(options.contentSecurity);
  const wes =
    options.wes === false
      ? undefined
      : createWesPublisher({
          ...(options.wes ?? {}),
          store,
          ...(options.corsOrigin !== undefined ? { corsOrigin: options.corsOrigin } : {}),
          ...(access ? { access } : {}),
          contentHeaders,
        });
  const preHandlers: readonly PreHandler[] = [
    ...(wes ? [wes] : []),
    ...(options.preHandlers ?? []),
  ];
  /**
   * The `Vary` of a path's GET and HEAD answers: the same for every variant of it (RFC 9111
   * §4.1: a cache picks a stored variant by the Vary that variant sent), so the fields a
   * pre-handler negotiates the path by, Accept-Events, and Authorization under a policy
   * (SEC-1: the answer depends on who asks).
   */
  const varyOf = (path: string): string =>
    [
      ...new Set([
        ...preHandlers.flatMap((p) => p.negotiates?.(path) ?? []),
        'Accept-Events',
        ...(access ? ['Authorization'] : []),
      ]),
    ].join(', ');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBody;
  const maxResourceBytes = options.maxResourceBytes ?? maxBodyBytes;
  const maxUrl = options.maxUrlLength ?? DEFAULTS.maxUrl;
  const cors = corsHeaders(options.corsOrigin ?? DEFAULTS.cors);
  const ctx: ResourceContext = {
    store,
    engine,
    history,
    events,
    access,
    wes,
    maxBodyBytes,
    maxResourceBytes,
    patchLimits: {
      maxOperations: options.maxPatchOperations ?? DEFAULTS.maxPatchOperations,
      maxTouchedBytes: options.maxPatchTouchedBytes ?? DEFAULTS.maxPatchTouchedBytes,
      // A patch need not copy more than the largest document it may leave.
      maxCopyBytes: maxResourceBytes,
    },
    guard,
    maxPathDepth: options.maxPathDepth ?? DEFAULTS.maxPathDepth,
    cors,
    contentHeaders,
    streamHeaders: [...cors, ...contentHeaders],
    connections: new StreamConnections(),
    listing: listingBounds(options.listing),
    vary: varyOf,
  };

  const stopPruning = pruneOnInterval(store, options.history, countStoreError);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    checkTargetLength(url, maxUrl);
    // Normalized first, then every decision is taken on it (reserved space, rights).
    const path = targetPath(url);
    const reserved = path.startsWith(RESERVED);
    // A GET that may become a stream gets CORS in its head (`StreamTarget.headers`), not
    // through setHeader, so node never builds a header dictionary per subscriber (~1 KB
    // each). Its other answers get them in handleRead or, for errors, in `handle`.
    const mayStream = method === 'GET' && req.headers['accept-events'] !== undefined && !reserved;
    if (!mayStream) for (const [n, v] of cors) res.setHeader(n, v);
    // A path a pre-handler negotiates: its answer carries the same Vary as ours.
    if (
      (method === 'GET' || method === 'HEAD') &&
      !mayStream &&
      preHandlers.some((p) => (p.negotiates?.(path).length ?? 0) > 0)
    )
      res.setHeader('Vary', varyOf(path));
    for (const pre of preHandlers) if (await pre.handle(req, res, path)) return;
    if (reserved) {
      const read = method === 'GET' || method === 'HEAD';
      throw new HttpError(
        read ? 404 : 405,
        read ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED',
        `${RESERVED} is reserved for the server's own resources.`,
        read ? {} : { Allow: 'GET, HEAD' },
      );
    }
    checkPathDepth(path, ctx.maxPathDepth);
    const principal = await guard.authorize(req, method, path);
    notePrincipal(req, principal);
    guard.limitWrites(req, method, principal);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return handleRead(ctx, req, res, path, principal);
      case 'PUT':
        return handlePut(ctx, req, res, path, principal);
      case 'PATCH':
        return handlePatch(ctx, req, res, path, principal);
      case 'POST':
        return handlePost(ctx, req, res, path, principal);
      case 'DELETE':
        return handleDelete(ctx, req, res, path, principal);
      case 'OPTIONS':
        return handleOptions(ctx, res, path);
      default:
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here.`, {
          Allow: allowedMethods(path),
        });
    }
  }

  return {
    engine,
    history,
    store,
    /** The event path: where writes go to be announced, this process's and others'. */
    events,
    /** The request body limit in bytes (`maxBodyBytes`). */
    maxBodyBytes: ctx.maxBodyBytes,
    /** Store failures by code (STORE_UNAVAILABLE, ...): requests, the follower, pruning. */
    storeErrors: storeErrors as ReadonlyMap<string, number>,
    /** The node:http request listener. Errors become problem+json answers. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      if (!ctx.connections.admit(req, res)) return;
      working++;
      // Draining: each connection's last answer says so (HTTP/2 has GOAWAY for that).
      if (engine.draining && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
      route(req, res)
        .catch((err: unknown) => {
          countStoreError(err);
          if (problemOf(err).status >= 500)
            options.logger?.error({ err, method: req.method, path: req.url }, 'request failed');
          const extra: Array<[string, string]> = [];
          // A would-be stream has no CORS headers set yet (see route()).
          if (!res.headersSent && !res.hasHeader('access-control-allow-origin'))
            extra.push(...cors);
          // The database is down (PostgreSQL): it comes back by itself; ask to retry.
          if (err instanceof StoreError && err.code === 'STORE_UNAVAILABLE')
            extra.push(['Retry-After', '5']);
          sendProblem(req, res, err, extra);
        })
        .finally(() => working--);
    },
    /** The Web Event Sourcing publisher, unless turned off. */
    wes,
    /**
     * The first half of a graceful shutdown: new streams are refused (503, so clients go
     * elsewhere), and it resolves once every handler at work has answered (a stream's, once
     * the stream is set up) and every write of this process is announced (true), or at
     * `until` (ms since the epoch; false). Then
     * `close()` ends the streams with both close delimiters (RSP-7).
     */
    async drain(until: number): Promise<boolean> {
      engine.drain();
      while (!(working === 0 && events.settled)) {
        if (Date.now() >= until) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return true;
    },
    /** Stops timers and closes every stream with its close delimiters (RSP-7). */
    async close(): Promise<void> {
      wes?.close();
      stopPruning();
      engine.close();
      await events.close();
    },
  };
}

/** The listing bounds, defaults filled in; a bad value is a TypeError. */
function listingBounds(given: Partial<ListingBounds> = {}): ListingBounds {
  const bounds = { ...DEFAULT_LISTING_BOUNDS, ...given };
  for (const [name, n] of Object.entries(bounds))
    if (!Number.isSafeInteger(n) || n < 1)
      throw new TypeError(`listing.${name} must be a positive integer, got ${n}`);
  if (bounds.pageSize > bounds.maxPageSize)
    throw new TypeError('listing.pageSize must not exceed listing.maxPageSize');
  return bounds;
}

/** A running resource server (`createResourceServer`'s result). */
export type ResourceServer = ReturnType<typeof createResourceServer>;
