import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AccessPolicy } from '../auth/access.js';
import type { AnnouncerOptions, Writer } from '../log/announcer.js';
import { beforeHead, captureResponse, type CapturedResponse } from './capture.js';
import {
  ADVERTISED,
  ENGINE_OWNED,
  REPRESENTATION,
  entries,
  splitSent,
  varyWith,
} from './fields.js';
import type { ResourceChange } from '../log/change.js';
import type { ChangeLog } from '../log/change-log.js';
import { EventPath } from '../log/event-path.js';
import type { FollowedLog } from '../log/follower.js';
import {
  PrepEngine,
  type BaseResponse,
  type EngineOptions,
  type Negotiation,
} from '../engine/engine.js';
import type { HubEvent } from '../engine/hub.js';
import { MemoryHistory, type MemoryHistoryOptions } from '../log/memory-history.js';
import {
  createNodeTransport,
  type NodeRequest,
  type NodeResponse,
  type PrepTransport,
} from '../engine/transport.js';
import type { Logger } from '../engine/logger.js';
import { notePrincipal, requestFields, watchResponse } from '../engine/request-record.js';

/** Options of {@link createPrep}; every bound has a documented default (SEC-2). */
export interface PrepOptions<C = ResourceChange> extends EngineOptions, AnnouncerOptions {
  /**
   * Where Event-IDs come from and `Last-Event-ID` resumes from, and what `notify` takes: a
   * `MemoryHistory` (`ResourceChange`s), or our event log `new StoreHistory(store)` (the
   * `WriteResult`s of `store.write`). Default: a `MemoryHistory`.
   */
  history?: ChangeLog<C> & { followed?(): FollowedLog | undefined };
  /**
   * Follow the history's log when other processes write it too (a `StoreHistory` over
   * SQLite or PostgreSQL): their writes reach this process's subscribers, in commit order,
   * once their writers have had their responses. Default true where the history can be
   * followed. Call `notify` in the turn the store write resolved.
   */
  follow?: boolean;
  /** Bounds of the default `MemoryHistory`. */
  memory?: MemoryHistoryOptions;
  /**
   * Which resources serve notifications (DSC-1, DSC-2); others are served as if PREP did
   * not exist (ERR-1). Default: every path `serve` and the adapters see.
   */
  watch?: (path: string) => boolean;
  /** Which paths are containers, whose streams hear of their members too. Default: a trailing `/`. */
  isContainer?: (path: string) => boolean;
  /**
   * Largest base body the adapters hold back from an app's GET handler to put in part 1.
   * Beyond it the app's response goes out as it is, with `Events` status 503. Default 8 MiB.
   */
  maxBaseBytes?: number;
  /** The key of the per-client limit (SEC-2). Default: the remote address. */
  clientOf?: (req: NodeRequest) => string;
  /**
   * Where to log (pino's shape: `pino()` is one): one object per response the engine sends
   * (`serve`, and GETs `intercept` turns into streams) when it closes, with `reqId`, `method`,
   * `path`, `status`, `durationMs`, `bytes`, `stream` and the principal's id (never a
   * credential); reads of a followed log that fail (warn); a captured response that could
   * not be served (error). Default: none.
   */
  logger?: Logger;
}

/** The base response an application hands to `serve`. */
export interface BaseInit {
  /** Default 200. */
  status?: number;
  /**
   * Its header fields. Representation fields (Content-Type, ETag, Last-Modified,
   * Content-Language, Content-Encoding, Content-Location) go in part 1 of a stream; the
   * others on the response itself.
   */
  headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** Text is sent as UTF-8. */
  body?: Uint8Array | string;
}

/** Options of `prep.serve`. */
export interface ServeOptions {
  /** The resource (the channel of its stream). Default: the request's path without query. */
  path?: string;
  /**
   * The base response (what the GET would answer without notifications), or a function
   * that reads it: called after the history position is read, so that no change can fall
   * between the representation and the subscription.
   */
  base: BaseInit | (() => BaseInit | Promise<BaseInit>);
  /** Default: `options.isContainer(path)`. */
  isContainer?: boolean;
  /** More response header fields (CORS, ...). */
  headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
}

/** What `serve` sent: a notifications stream, the base with an `Events` status, or the base. */
export type ServeOutcome = 'stream' | 'refused' | 'plain';

/** Options of `prep.intercept`. */
export interface InterceptOptions {
  /** The resource. Default: the request's path (Express's `originalUrl`) without query. */
  path?: string;
  /** Called right before a held-back response becomes a notifications stream (Fastify: `reply.hijack()`). */
  onStream?: () => void;
}

/** A request as negotiation sees it, whatever carries it (node's, a fetch `Request`). */
export interface PrepRequest {
  method: string;
  /** Lower-case names (`Accept-Events`, `Last-Event-ID`, `Authorization`). */
  headers: IncomingHttpHeaders;
  /** The key of the per-client limit (SEC-2). */
  client: string;
}

/** What `decide` is given: the base response of a GET or HEAD, and where it comes from. */
export interface DecideInit {
  /** The resource (the channel of its stream). */
  path: string;
  /** Default: `options.isContainer(path)`. */
  isContainer?: boolean;
  /** The base response; its representation fields go in part 1 of a stream. */
  base: BaseInit;
  /** The history's `lastSeq()`, read before the base representation was. */
  afterSeq: number | Promise<number>;
  /** More response header fields (CORS, what else the app set): on the stream's head too. */
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** What a request with a base response gets (see `Prep.decide`). */
export type Decision =
  /** A notifications stream: `send` writes it on a transport (it was counted in already). */
  | { kind: 'stream'; send(transport: PrepTransport): Promise<void> }
  /**
   * The base response, with these fields set (`Accept-Events` of DSC-1, `Events` of ERR-2
   * and ERR-3, `Retry-After`), and `Accept-Events` added to its `Vary` when `vary`.
   */
  | { kind: 'plain' | 'refused'; fields: Array<[string, string]>; vary: boolean };

/** PREP for an application that keeps its own data. See {@link createPrep}. */
export interface Prep<C = ResourceChange> {
  /** Negotiation, streams, fan-out and limits. */
  readonly engine: PrepEngine;
  /** Where Event-IDs come from. */
  readonly history: ChangeLog<C>;
  /** The way from a change to the subscribers (N822-3, commit order, other processes). */
  readonly events: EventPath;
  /** Whether `path` serves notifications (the `watch` option). */
  watches(path: string): boolean;
  /** The largest base body held back for part 1 (the `maxBaseBytes` option). */
  readonly maxBaseBytes: number;
  /**
   * The transport-neutral core of `serve`, for adapters that are not node's (the fetch
   * handler): negotiates a GET or HEAD whose base response is `init.base` (REQ-1..4, HDR-4,
   * ERR-1..3, SEC-1, SEC-2). Says 'stream' with a `send` to call once, or which fields the
   * base response needs; sends nothing itself.
   */
  decide(request: PrepRequest, init: DecideInit): Promise<Decision>;
  /**
   * Answers a GET or HEAD with `base`: a notifications stream when the request asks for one
   * and it can be served (RSP-1..8); else the base response with an `Events` status
   * (ERR-2, ERR-3) or as it is (ERR-1), advertising notifications (DSC-1) on watched paths.
   * Sends the whole response.
   */
  serve(req: NodeRequest, res: NodeResponse, options: ServeOptions): Promise<ServeOutcome>;
  /**
   * For adapters, before the app's handler runs: on a watched path, a GET asking for
   * notifications has the response the handler sends held back and served as the base of
   * a stream (`serve`); other GETs and HEADs get the advertisement (DSC-1). Does nothing
   * for other methods.
   */
  intercept(req: NodeRequest, res: NodeResponse, options?: InterceptOptions): void;
  /**
   * Tells subscribers of a change, once applied. Inside `run(res, ...)` (the adapters run
   * every write request's handler so) it waits for that response to be sent first (N822-3),
   * as `notifyAfter(res, change)` does; elsewhere it goes out at once. Returns the events
   * (with their Event-IDs). Throws when the change cannot be a notification.
   */
  notify(change: C): HubEvent[];
  /** Tells subscribers of a change once `res`, the writer's response, has been sent (N822-3). */
  notifyAfter(res: Writer, change: C): HubEvent[];
  /**
   * Runs `fn` with `res` as the writer's response of every `notify` made within it: a node
   * response, or a `ResponseSignal` (the fetch handler's).
   */
  run<T>(res: Writer, fn: () => T): T;
  /** Ends every stream with both close delimiters (RSP-7) and stops the timers. */
  close(): Promise<void>;
}

/**
 * PREP for an application that keeps its own data: the app says which resources serve
 * notifications (`watch`), answers GETs as it always does, and tells the engine when a
 * resource changed (`notify`). The engine does negotiation, streams, fan-out, limits,
 * `Last-Event-ID` and termination exactly as our own resource server does.
 *
 * Mount it with an adapter (`prepListener` for node:http and node:http2, `prepExpress`,
 * `prepFastify`), or call `serve` from a GET handler yourself.
 *
 * @example
 * ```ts
 * import express from 'express';
 *
 * const todos = new Map<string, string>();
 * const etagOf = (json: string) => `"${json.length}"`; // yours: a hash of the JSON
 * const app = express();
 * app.use(express.text({ type: 'application/json' }));
 * const prep = createPrep({ watch: (path) => path.startsWith('/todos/') });
 * app.use(prepExpress(prep));
 * app.put('/todos/:id', (req, res) => {
 *   todos.set(req.params.id, req.body);
 *   prep.notify({ method: 'PUT', path: req.path, etag: etagOf(req.body) });
 *   res.sendStatus(204);
 * });
 * ```
 */
export function createPrep<C = ResourceChange>(options: PrepOptions<C> = {}): Prep<C> {
  const engine = new PrepEngine(options);
  const history = (options.history ?? new MemoryHistory(options.memory)) as ChangeLog<C> & {
    followed?(): FollowedLog | undefined;
  };
  const followed = options.follow === false ? undefined : history.followed?.();
  const eventPath = new EventPath({
    hub: engine.hub,
    history,
    ...(followed ? { follow: followed } : {}),
    ...(options.writerStallMs !== undefined ? { writerStallMs: options.writerStallMs } : {}),
    ...(options.logger
      ? { onError: (err: unknown) => options.logger?.warn({ err }, 'reading the log failed') }
      : {}),
  });
  const view = eventPath.view;
  const writer = new AsyncLocalStorage<Writer>();
  const watch = options.watch ?? (() => true);
  const containerOf = options.isContainer ?? ((p: string) => p.endsWith('/'));
  const maxBase = options.maxBaseBytes ?? 8 * 1024 * 1024;
  const clientOf =
    options.clientOf ?? ((req: NodeRequest) => req.socket?.remoteAddress ?? 'unknown');
  const releases = new WeakMap<object, () => void>();
  const logger = options.logger;
  /** One record per response the engine sends, when it closes. */
  const logResponse = logger
    ? (req: NodeRequest, res: NodeResponse) =>
        watchResponse(req, res, (record) => logger.info(requestFields(record), 'request'))
    : undefined;

  async function decide(request: PrepRequest, init: DecideInit): Promise<Decision> {
    const { method } = request;
    const { path } = init;
    const status = init.base.status ?? 200;
    const watched = watch(path);
    // SEC-1: with an access policy, the subscribe right and a container's visible members
    // are the principal's. The app answered the base itself; a credential the policy does not
    // know only ever gets anonymous rights here.
    const principal = principalOf(options.access, request.headers);
    // DSC-1, N822-8: the deltas offered and advertised are those the base's media type allows.
    const contentType = [...entries(init.base.headers), ...entries(init.headers)].find(
      ([name]) => name.toLowerCase() === 'content-type',
    )?.[1];
    const n: Negotiation = watched
      ? await engine.negotiate(method, request.headers, status, {
          path,
          client: request.client,
          principal,
          contentType,
        })
      : { kind: 'ignore' };
    if (n.kind === 'stream') {
      const part1: Array<[string, string]> = [];
      const extra: Array<[string, string]> = [];
      // The base's framing and caching fields (Content-Length, Date, Cache-Control, ...)
      // are not the stream's: the engine sets its own.
      for (const [name, value] of entries(init.base.headers)) {
        const lower = name.toLowerCase();
        if (REPRESENTATION.has(lower)) part1.push([name, value]);
        else if (!ENGINE_OWNED.has(lower)) extra.push([name, value]);
      }
      for (const h of init.headers ?? [])
        if (!ENGINE_OWNED.has(h[0].toLowerCase())) extra.push([h[0], h[1]]);
      const base: BaseResponse = { status, headers: part1, body: toBytes(init.base.body) };
      return {
        kind: 'stream',
        send: async (transport) =>
          engine.streamTo(transport, base, n, {
            path,
            isContainer: init.isContainer ?? containerOf(path),
            client: request.client,
            principal,
            afterSeq: await init.afterSeq,
            history: view,
            headers: extra,
          }),
      };
    }
    const fields: Array<[string, string]> = [];
    // DSC-1: advertise on HEAD and GET; Vary, since Accept-Events changes the answer.
    const advertise = watched && (method === 'GET' || method === 'HEAD');
    if (advertise && ADVERTISED.has(status))
      fields.push(['Accept-Events', engine.advertisementFor(contentType)]);
    if (n.kind === 'refuse') {
      // ERR-2 / ERR-3 / ERR-4: the base response as it is, with the notifications' status.
      fields.push(['Events', engine.eventsHeader(n.status)]);
      if (n.retryAfter !== undefined) fields.push(['Retry-After', String(n.retryAfter)]);
    }
    return { kind: n.kind === 'refuse' ? 'refused' : 'plain', fields, vary: advertise };
  }

  /** `decide`, then the response on node's `res`: the stream, or the base with its fields. */
  async function respond(
    req: NodeRequest,
    res: NodeResponse,
    init: DecideInit & { onStream?: (() => void) | undefined },
  ): Promise<ServeOutcome> {
    const method = req.method ?? 'GET';
    // For the request record (logs, metrics): whose request this was.
    notePrincipal(req, principalOf(options.access, req.headers));
    const decision = await decide({ method, headers: req.headers, client: clientOf(req) }, init);
    if (decision.kind === 'stream') {
      init.onStream?.();
      await decision.send(createNodeTransport(req, res));
      return 'stream';
    }
    const body = toBytes(init.base.body);
    res.statusCode = init.base.status ?? 200;
    for (const [name, value] of [...(init.headers ?? []), ...entries(init.base.headers)])
      addHeader(res, name, value);
    for (const [name, value] of decision.fields) res.setHeader(name, value);
    if (decision.vary) addVary(res, 'Accept-Events');
    if (method === 'HEAD') {
      if (body.length > 0 && !res.hasHeader('content-length'))
        res.setHeader('Content-Length', body.length);
      res.end();
    } else res.end(body);
    return decision.kind;
  }

  const prep: Prep<C> = {
    engine,
    history,
    events: eventPath,
    watches: (path) => watch(path),
    maxBaseBytes: maxBase,
    decide,

    async serve(req, res, serveOptions) {
      releases.get(res)?.();
      logResponse?.(req, res);
      const path = serveOptions.path ?? pathOf(req);
      const afterSeq = await view.lastSeq();
      const base =
        typeof serveOptions.base === 'function' ? await serveOptions.base() : serveOptions.base;
      return respond(req, res, {
        path,
        ...(serveOptions.isContainer !== undefined
          ? { isContainer: serveOptions.isContainer }
          : {}),
        base,
        afterSeq,
        headers: entries(serveOptions.headers),
      });
    },

    intercept(req, res, interceptOptions = {}) {
      const method = req.method;
      if (method !== 'GET' && method !== 'HEAD') return;
      const path = interceptOptions.path ?? pathOf(req);
      if (!watch(path)) return;
      if (method === 'HEAD' || req.headers['accept-events'] === undefined) {
        beforeHead(res, () => {
          // DSC-1, as `serve` does, on whatever the handler answers.
          if (ADVERTISED.has(res.statusCode) && !res.hasHeader('accept-events'))
            res.setHeader('Accept-Events', engine.advertisementFor(contentTypeOf(res)));
          addVary(res, 'Accept-Events');
        });
        return;
      }
      logResponse?.(req, res);
      // Read the history position before the handler reads its data: changes after it are
      // sent, so none falls between the representation and the subscription.
      const afterSeq = view.lastSeq();
      afterSeq.catch(() => undefined);
      const capture = captureResponse(res, maxBase, {
        onEnd(captured) {
          releases.delete(res);
          respondCaptured(req, res, path, captured, afterSeq, interceptOptions.onStream).catch(
            (err: unknown) => {
              logger?.error({ err, path }, 'the captured response could not be served');
              if (!res.headersSent) {
                res.statusCode = 500;
                res.end();
              } else res.destroy();
            },
          );
        },
        onOverflow(flush) {
          releases.delete(res);
          // ERR-3: the base is fine, notifications cannot be served for it.
          res.setHeader('Events', engine.eventsHeader(503));
          addVary(res, 'Accept-Events');
          flush();
        },
      });
      releases.set(res, capture.release);
    },

    notify(change) {
      const events = history.eventsOf(change);
      eventPath.commit(writer.getStore(), events);
      return events;
    },

    notifyAfter(res, change) {
      const events = history.eventsOf(change);
      eventPath.commit(res, events);
      return events;
    },

    run: (res, fn) => writer.run(res, fn),

    async close() {
      // Also stops listening to the access policy's changes (`onChange`).
      engine.close();
      await eventPath.close();
    },
  };

  /** Turns a response the app's handler sent into the base of `serve`. */
  function respondCaptured(
    req: NodeRequest,
    res: NodeResponse,
    path: string,
    captured: CapturedResponse,
    afterSeq: Promise<number>,
    onStream: (() => void) | undefined,
  ): Promise<ServeOutcome> {
    const sent = headerList(captured.headers);
    for (const [name] of sent) res.removeHeader(name);
    const { representation, other } = splitSent(sent);
    return respond(req, res, {
      path,
      base: { status: captured.status, headers: representation, body: captured.body },
      afterSeq,
      headers: other,
      onStream,
    });
  }

  return prep;
}

/** The request's path without query: Express's `originalUrl` (mount points included), else `url`. */
export function pathOf(req: NodeRequest): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const end = url.search(/[?#]/);
  const target = end < 0 ? url : url.slice(0, end);
  if (target.startsWith('/')) return target;
  try {
    return new URL(target).pathname; // absolute-form (a proxy request)
  } catch {
    return '/';
  }
}

function toBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** `getHeaders()` as a list: lower-case names, one entry per value. */
function headerList(headers: OutgoingHttpHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, String(value)]);
  }
  return out;
}

/** Sets a field, keeping earlier values of the same name (Set-Cookie, Vary, ...). */
function addHeader(res: NodeResponse, name: string, value: string): void {
  const prev = res.getHeader(name);
  if (prev === undefined) res.setHeader(name, value);
  else if (Array.isArray(prev)) res.setHeader(name, [...prev, value]);
  else res.setHeader(name, [String(prev), value]);
}

/** Adds a member to `Vary` unless it is there (or `*` is). */
function addVary(res: NodeResponse, member: string): void {
  const prev = res.getHeader('vary');
  const next = varyWith(Array.isArray(prev) ? prev.join(', ') : prev?.toString(), member);
  if (next !== undefined) res.setHeader('Vary', next);
}

/** The Content-Type set on a response so far, if any. */
function contentTypeOf(res: NodeResponse): string | undefined {
  const value = res.getHeader('content-type');
  return value === undefined ? undefined : String(value);
}

function principalOf(
  access: AccessPolicy | undefined,
  headers: IncomingHttpHeaders,
): string | null {
  if (!access) return null;
  try {
    return access.identify(headers);
  } catch {
    return null;
  }
}
