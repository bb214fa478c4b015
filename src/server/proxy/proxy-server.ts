import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store, WriteResult } from '../../store/index.js';
import { WRITE_METHODS } from '../app/request-guard.js';
import { checkTargetLength } from '../app/request-target.js';
import { DEFAULTS } from '../settings.js';
import { WES_PREFIX, createWesPublisher, type WesPublisherOptions } from '../app/wes/index.js';
import { createPrep } from '../embed/create-prep.js';
import type { EngineOptions } from '../engine/engine.js';
import { HttpError, sendProblem } from '../http-error.js';
import type { AnnouncerOptions } from '../log/announcer.js';
import { pruneOnInterval, type HistoryBound } from '../log/history-bound.js';
import { StoreHistory } from '../log/store-history.js';
import { ChangeRecorder } from './change-recorder.js';
import { forward } from './forward.js';
import { NOTIFY_PATH, NotifyWebhook } from './notify-webhook.js';
import { PathRules, type PathRulesOptions } from './path-rules.js';
import { Poller } from './poller.js';
import type { ProxyContext } from './proxy-context.js';
import { StateCache, stateOf, type StateCacheOptions } from './state-cache.js';
import { serveSubscription } from './subscription.js';
import { Upstream, type UpstreamOptions } from './upstream.js';
import { writeThrough } from './write-through.js';

/** Options of {@link createProxyServer}; every bound has a documented default (SEC-2). */
export interface ProxyServerOptions
  extends EngineOptions, AnnouncerOptions, PathRulesOptions, Omit<UpstreamOptions, 'url'> {
  /** The API in front of which the proxy stands: `http://127.0.0.1:3000` (a path prefix is kept). */
  upstream: string;
  /** The event log: Event-IDs, `Last-Event-ID` resume, the WES feed (SQLite, PostgreSQL). */
  store: Store;
  /** `--poll`: revalidate watched resources that have subscribers this often. Default: never. */
  pollIntervalMs?: number;
  /** Conditional GETs of a poll round in flight at once. Default 8. */
  pollConcurrency?: number;
  /** The webhook's bearer secret (16 characters or more); without one the webhook is off. */
  notifySecret?: string;
  /** Send the client's `Host` to the upstream instead of the upstream's own. Default false. */
  preserveHost?: boolean;
  /**
   * DSC-1: advertise notifications (`Accept-Events`, `Vary`) on plain GETs and HEADs of
   * watched paths. Default false: a request without PREP in it is answered exactly as the
   * upstream answers it.
   */
  advertise?: boolean;
  /** Read every changed resource after a write (see `ChangeRecorderOptions`). Default false. */
  readAfterWrite?: boolean;
  /** Largest base held back for part 1 of a stream; beyond it, `Events` 503. Default 8 MiB. */
  maxBaseBytes?: number;
  /** Largest request body passed on; beyond it, 413. 0: no bound. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Longest request target in characters; longer ones get 414. Default 4096. */
  maxUrlLength?: number;
  /** The states kept for deltas and polls (see `StateCacheOptions`). */
  stateCache?: StateCacheOptions;
  /** Event log bound (count and age), enforced every `pruneIntervalMs`. */
  history?: HistoryBound;
  /** The WES feed of what passed through, under `/.well-known/wes/`. `false` turns it off. */
  wes?: false | Omit<WesPublisherOptions, 'store' | 'corsOrigin' | 'collections'>;
  /** `Access-Control-Allow-Origin` of the proxy's own resources (WES). Default `*`. */
  corsOrigin?: string | false;
  /**
   * Follow the log, which other proxy nodes write too (PostgreSQL, one SQLite file): their
   * changes reach this node's subscribers. Default: on for stores that can `listen`.
   */
  follow?: boolean;
  /** Problems that do not fail a request (a change that could not be recorded, a poll). */
  onError?: (message: string) => void;
}

/** A proxy's counters, for logs and benchmarks. */
export interface ProxyStats {
  upstream: Upstream['stats'];
  recorder: ChangeRecorder['stats'];
  poller: Poller['stats'] | undefined;
  hub: ProxyServer['prep']['engine']['hub']['stats'];
  cache: { entries: number; bytes: number };
}

/**
 * `prep proxy` as a library: a node:http request listener that stands in front of an
 * existing HTTP API (`upstream`) and adds PREP to it, with no change to it.
 *
 * - Requests without PREP in them are passed on and answered exactly as the upstream answers
 *   them, bodies streamed both ways (`forward`).
 * - A GET with `Accept-Events` on a watched path gets the upstream's answer as the base of a
 *   notifications stream (`serveSubscription`).
 * - Writes that pass through, changes found by polling, and changes announced on the webhook
 *   become events of our log, announced after the writer's response (`ChangeRecorder`).
 * - Its own resources: the WES feed of each collection's changes (`/.well-known/wes/`) and
 *   the webhook (`/.well-known/prep/notify`).
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createProxyServer } from 'prep-live/server';
 * import { SqliteStore } from 'prep-live/store';
 *
 * const store = new SqliteStore({ filename: 'data/prep-proxy.db' });
 * await store.open();
 * const proxy = createProxyServer({ upstream: 'http://127.0.0.1:3000', store, watch: ['/posts/**'] });
 * http.createServer(proxy.handle).listen(8080);
 * ```
 */
export function createProxyServer(options: ProxyServerOptions) {
  const store = options.store;
  const rules = new PathRules(options);
  const upstream = new Upstream({ ...options, url: options.upstream });
  const history = new StoreHistory(store);
  const prep = createPrep<WriteResult>({
    ...options,
    history,
    ...(options.follow !== undefined ? { follow: options.follow } : {}),
    watch: (path) => rules.watches(path),
    isContainer: (path) => rules.isCollection(path),
  });
  const cache = new StateCache(options.stateCache);
  const maxStateBytes = options.stateCache?.maxEntryBytes ?? 1024 * 1024;
  const log = options.onError;
  const recorder = new ChangeRecorder({
    store,
    history,
    events: prep.events,
    hub: prep.engine.hub,
    upstream,
    rules,
    cache,
    maxStateBytes,
    ...(options.readAfterWrite !== undefined ? { readAfterWrite: options.readAfterWrite } : {}),
    onError: (e, change) =>
      log?.(`a ${change.method} of ${change.path} could not be recorded: ${messageOf(e)}`),
  });
  const poller =
    options.pollIntervalMs !== undefined
      ? new Poller({
          intervalMs: options.pollIntervalMs,
          ...(options.pollConcurrency !== undefined
            ? { concurrency: options.pollConcurrency }
            : {}),
          hub: prep.engine.hub,
          upstream,
          cache,
          recorder,
          maxStateBytes,
          onError: (e, path) => log?.(`polling ${path} failed: ${messageOf(e)}`),
        })
      : undefined;
  poller?.start();
  const webhook =
    options.notifySecret !== undefined
      ? new NotifyWebhook(recorder, options.notifySecret)
      : undefined;
  const cors = options.corsOrigin ?? DEFAULTS.cors;
  const wes =
    options.wes === false
      ? undefined
      : createWesPublisher({
          ...(options.wes ?? {}),
          store,
          collections: 'paths',
          corsOrigin: cors,
        });
  const ctx: ProxyContext = {
    upstream,
    prep,
    rules,
    cache,
    recorder,
    forwarding: {
      upstreamHost: upstream.host,
      ...(options.preserveHost ? { preserveHost: true } : {}),
      // Node has answered `100-continue` already; the body follows at once.
      drop: new Set(['expect']),
    },
    maxBaseBytes: options.maxBaseBytes ?? 8 * 1024 * 1024,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBody,
    advertise: options.advertise === true,
  };
  const maxUrl = options.maxUrlLength ?? DEFAULTS.maxUrl;
  const advertised = ['Accept-Events', prep.engine.advertisement, 'Vary', 'Accept-Events'];

  const stopPruning = pruneOnInterval(store, options.history);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = originForm(req.url ?? '/');
    checkTargetLength(target, maxUrl);
    const path = pathOnly(target);
    if (path.startsWith('/.well-known/prep/')) {
      if (path === NOTIFY_PATH && webhook) return webhook.handle(req, res);
      throw new HttpError(
        404,
        'NOT_FOUND',
        path === NOTIFY_PATH
          ? 'The webhook is off: start the proxy with a notify secret.'
          : `Nothing at ${path}.`,
      );
    }
    if (wes && path.startsWith(WES_PREFIX)) {
      await wes.handle(req, res);
      return;
    }
    // A target with a query is another resource than its path: not watched (see PathRules).
    const watched = rules.watches(target);
    if (method === 'GET' && watched && req.headers['accept-events'] !== undefined)
      return serveSubscription(ctx, req, res, path);
    if (WRITE_METHODS.has(method)) return writeThrough(ctx, req, res, target, path);
    const advertise = ctx.advertise && watched && (method === 'GET' || method === 'HEAD');
    // A plain GET of a resource with subscribers shows its state now: news, if it changed
    // around the proxy (a client that re-fetched it waits for the notification with its ETag).
    const stamp = cache.stamp();
    const observed = method === 'GET' && watched && prep.engine.hub.subscriberCount(path) > 0;
    await forward(upstream, req, res, {
      ...(observed
        ? {
            tap: {
              limit: maxStateBytes,
              onBody: (answer: IncomingMessage, body: Buffer | undefined) => {
                const status = answer.statusCode;
                const found =
                  status === 200
                    ? stateOf({ headers: answer.headers, ...(body ? { body } : {}) })
                    : status === 404 || status === 410
                      ? ('gone' as const)
                      : undefined;
                if (found) void recorder.observe(path, found, stamp);
              },
            },
          }
        : {}),
      target,
      forwarding: ctx.forwarding,
      maxBodyBytes: ctx.maxBodyBytes,
      // DSC-1, on answers that could have been streamed (ERR-2).
      ...(advertise
        ? { extraHeaders: (s: number) => (s >= 200 && s < 300 ? advertised : advertised.slice(2)) }
        : {}),
    });
  }

  return {
    prep,
    store,
    upstream,
    recorder,
    poller,
    cache,
    /** The request body limit in bytes (0: none). */
    maxBodyBytes: ctx.maxBodyBytes,
    /** The node:http request listener. Errors become problem+json answers. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      route(req, res).catch((err: unknown) => {
        // ERR-2: a notifications request whose base is an error of ours.
        const prepRequest = req.method === 'GET' && req.headers['accept-events'] !== undefined;
        sendProblem(
          req,
          res,
          err,
          prepRequest
            ? [
                ['Events', prep.engine.eventsHeader(412)],
                ['Vary', 'Accept-Events'],
              ]
            : [],
        );
      });
    },
    /** Counters of the proxy's parts. */
    stats(): ProxyStats {
      return {
        upstream: upstream.stats,
        recorder: recorder.stats,
        poller: poller?.stats,
        hub: prep.engine.hub.stats,
        cache: { entries: cache.size, bytes: cache.bytes },
      };
    },
    /** Stops polling, closes every stream (RSP-7) and the upstream's connections. The store stays open. */
    async close(): Promise<void> {
      stopPruning();
      await poller?.close();
      await recorder.idle();
      wes?.close();
      await prep.close();
      upstream.close();
    },
  };
}

/** A running proxy (`createProxyServer`'s result). */
export type ProxyServer = ReturnType<typeof createProxyServer>;

/** An absolute-form target (a client talking to a forward proxy) as origin-form. */
function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.pathname + url.search;
  } catch {
    // below
  }
  throw new HttpError(400, 'BAD_TARGET', 'The request target is not an absolute path.');
}

function pathOnly(target: string): string {
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
