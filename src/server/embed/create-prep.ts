import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AccessPolicy } from '../auth/access.js';
import type { AnnouncerOptions, WriterResponse } from '../log/announcer.js';
import { beforeHead, captureResponse, type CapturedResponse } from './capture.js';
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
import type { NodeRequest, NodeResponse } from '../engine/transport.js';

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
  notifyAfter(res: WriterResponse, change: C): HubEvent[];
  /** Runs `fn` with `res` as the writer's response of every `notify` made within it. */
  run<T>(res: WriterResponse, fn: () => T): T;
  /** Ends every stream with both close delimiters (RSP-7) and stops the timers. */
  close(): Promise<void>;
}

/** Part 1 holds these (RSP-4); the rest of what the app set stays on the response. */
const REPRESENTATION = new Set([
  'content-type',
  'etag',
  'last-modified',
  'content-language',
  'content-encoding',
  'content-location',
]);
/** Fields a stream's head takes from the engine, or that framing owns: not copied from the app. */
const ENGINE_OWNED = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
  'events',
  'accept-events',
  'cache-control',
  'x-accel-buffering',
  'last-modified',
  'etag',
]);
/** Base statuses whose responses advertise notifications (DSC-1): those that could stream (ERR-2). */
const ADVERTISED = new Set([200, 204, 206, 226]);

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
  });
  const view = eventPath.view;
  const writer = new AsyncLocalStorage<WriterResponse>();
  const watch = options.watch ?? (() => true);
  const containerOf = options.isContainer ?? ((p: string) => p.endsWith('/'));
  const maxBase = options.maxBaseBytes ?? 8 * 1024 * 1024;
  const clientOf =
    options.clientOf ?? ((req: NodeRequest) => req.socket?.remoteAddress ?? 'unknown');
  const releases = new WeakMap<object, () => void>();

  async function respond(
    req: NodeRequest,
    res: NodeResponse,
    init: {
      path: string;
      isContainer: boolean;
      base: BaseInit;
      afterSeq: number | Promise<number>;
      headers: Array<[string, string]>;
      onStream?: (() => void) | undefined;
    },
  ): Promise<ServeOutcome> {
    const method = req.method ?? 'GET';
    const { path } = init;
    const status = init.base.status ?? 200;
    const body = toBytes(init.base.body);
    const fields = entries(init.base.headers);
    const watched = watch(path);
    const client = clientOf(req);
    // SEC-1: with an access policy, the subscribe right and a container's visible members
    // are the principal's. The app answered the base itself; a credential the policy does not
    // know only ever gets anonymous rights here.
    const principal = principalOf(options.access, req.headers);
    // DSC-1, N822-8: the deltas offered and advertised are those the base's media type allows.
    const contentType = fields.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
    const n: Negotiation = watched
      ? await engine.negotiate(method, req.headers, status, {
          path,
          client,
          principal,
          contentType,
        })
      : { kind: 'ignore' };
    if (n.kind === 'stream') {
      const part1: Array<[string, string]> = [];
      const extra: Array<[string, string]> = [];
      for (const [name, value] of fields)
        (REPRESENTATION.has(name.toLowerCase()) ? part1 : extra).push([name, value]);
      for (const h of init.headers) if (!ENGINE_OWNED.has(h[0].toLowerCase())) extra.push(h);
      const base: BaseResponse = { status, headers: part1, body };
      init.onStream?.();
      await engine.stream(req, res, base, n, {
        path,
        isContainer: init.isContainer,
        client,
        principal,
        afterSeq: await init.afterSeq,
        history: view,
        headers: extra,
      });
      return 'stream';
    }
    res.statusCode = status;
    for (const [name, value] of [...init.headers, ...fields]) addHeader(res, name, value);
    if (watched && (method === 'GET' || method === 'HEAD')) {
      // DSC-1: advertise on HEAD and GET; Vary, since Accept-Events changes the answer.
      if (ADVERTISED.has(status))
        res.setHeader('Accept-Events', engine.advertisementFor(contentTypeOf(res) ?? contentType));
      addVary(res, 'Accept-Events');
    }
    if (n.kind === 'refuse') {
      // ERR-2 / ERR-3 / ERR-4: the base response as it is, with the notifications' status.
      res.setHeader('Events', engine.eventsHeader(n.status));
      if (n.retryAfter !== undefined) res.setHeader('Retry-After', String(n.retryAfter));
    }
    if (method === 'HEAD') {
      if (body.length > 0 && !res.hasHeader('content-length'))
        res.setHeader('Content-Length', body.length);
      res.end();
    } else res.end(body);
    return n.kind === 'refuse' ? 'refused' : 'plain';
  }

  const prep: Prep<C> = {
    engine,
    history,
    events: eventPath,
    watches: (path) => watch(path),

    async serve(req, res, serveOptions) {
      releases.get(res)?.();
      const path = serveOptions.path ?? pathOf(req);
      const afterSeq = await view.lastSeq();
      const base =
        typeof serveOptions.base === 'function' ? await serveOptions.base() : serveOptions.base;
      return respond(req, res, {
        path,
        isContainer: serveOptions.isContainer ?? containerOf(path),
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
      // Read the history position before the handler reads its data: changes after it are
      // sent, so none falls between the representation and the subscription.
      const afterSeq = view.lastSeq();
      afterSeq.catch(() => undefined);
      const capture = captureResponse(res, maxBase, {
        onEnd(captured) {
          releases.delete(res);
          respondCaptured(req, res, path, captured, afterSeq, interceptOptions.onStream).catch(
            () => {
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
    const fields: Array<[string, string]> = [];
    const other: Array<[string, string]> = [];
    for (const [name, value] of headerList(captured.headers)) {
      res.removeHeader(name);
      if (REPRESENTATION.has(name)) fields.push([fieldName(name), value]);
      else if (name !== 'content-length' && name !== 'transfer-encoding')
        other.push([fieldName(name), value]);
    }
    return respond(req, res, {
      path,
      isContainer: containerOf(path),
      base: { status: captured.status, headers: fields, body: captured.body },
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

function entries(
  headers: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]> | undefined,
): Array<[string, string]> {
  if (headers === undefined) return [];
  if (Array.isArray(headers))
    return (headers as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [n, v]);
  return Object.entries(headers as Record<string, string>);
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

const SPELLING: Record<string, string> = { etag: 'ETag', 'www-authenticate': 'WWW-Authenticate' };

/** A field name as usually written (`content-type` → `Content-Type`), for what `getHeaders` lower-cased. */
function fieldName(lower: string): string {
  return (
    SPELLING[lower] ??
    lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
  );
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
  const list = (Array.isArray(prev) ? prev.join(',') : prev === undefined ? '' : String(prev))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.some((m) => m === '*' || m.toLowerCase() === member.toLowerCase())) return;
  list.push(member);
  res.setHeader('Vary', list.join(', '));
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
