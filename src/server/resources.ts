import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { applyDelta, type Representation } from '../core/delta/index.js';
import { formatHttpDate, parseHttpDate } from '../core/http-date.js';
import {
  StoreError,
  isContainerPath,
  parentOf,
  type Change,
  type Resource,
  type Store,
  type StoredEvent,
  type WriteResult,
} from '../store/index.js';
import { HttpError, readBody, sendProblem } from './http-error.js';
import { authorize, type AccessPolicy } from './auth/access.js';
import { WriteRateLimiter, type WriteRate } from './auth/write-rate.js';
import { Announcer, withoutHeld } from './prep/announcer.js';
import {
  PrepEngine,
  type BaseResponse,
  type EngineOptions,
  type EventHistory,
} from './prep/engine.js';
import type { HubEvent } from './prep/hub.js';
import { LogFollower, canListen } from './log-follower.js';
import { StoreHistory } from './store-history.js';
import { createWesPublisher, wesLinks, type WesPublisherOptions } from './wes/index.js';

/** Options of {@link createResourceServer}; every bound has a documented default (SEC-2). */
export interface ResourceServerOptions extends EngineOptions {
  store: Store;
  /** Largest request body in bytes. Default 1 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Longest request target in characters. Default 4096; longer ones get 414. */
  maxUrlLength?: number;
  /**
   * `Access-Control-Allow-Origin` for browsers on other origins (SEC-4); `false` turns CORS
   * off. Default `*`.
   */
  corsOrigin?: string | false;
  /** Event log bound (count and age), enforced every `pruneIntervalMs`. */
  history?: { maxEvents?: number; maxAgeMs?: number; pruneIntervalMs?: number };
  /**
   * Web Event Sourcing (WES-1..8): snapshots and the change feed of every container under
   * `/.well-known/wes/`. On by default; `false` turns it off.
   */
  wes?: false | Omit<WesPublisherOptions, 'store' | 'corsOrigin'>;
  /**
   * Handlers asked first, in order (the web page, ...); one that returns true has answered.
   */
  preHandlers?: ReadonlyArray<{
    handle(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  }>;
  /**
   * How long a committed write whose writer does not take its response may hold up later
   * notifications of the same resource (they go out in commit order, N822-3); then that
   * writer is disconnected. Default 10 000 ms.
   */
  writerStallMs?: number;
  /**
   * Scale-out (README, "Running several nodes"): follow the shared event log of a store that can `listen`
   * (PostgresStore), so that writes made by other server nodes reach this node's subscribers.
   * Every notification then comes from the log, in seq order, this node's own writes included
   * (still only once the writer's response is sent, N822-3). Notifications of other nodes' PUTs
   * carry no delta (a PATCH's own patch still goes out). Default false; `true` needs a store
   * with `listen`.
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
}

/** The default write rate when an access policy is set (docs/auth.md). */
export const DEFAULT_WRITE_RATE: WriteRate = { perSecond: 100, burst: 200 };
const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/** One of this node's committed writes, waiting for the log follower to read it (scale-out). */
interface LocalWrite {
  res: ServerResponse;
  events: HubEvent[];
}

/** Paths the store never holds: the server's own resources (WES feeds, the web page's assets). */
const RESERVED = '/.well-known/';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
const ACCEPT_PATCH = PATCH_TYPES.join(', ');
const RESOURCE_METHODS = 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS';
const CONTAINER_METHODS = 'GET, HEAD, PUT, POST, DELETE, OPTIONS';
/** The root always exists and cannot be deleted: it takes neither PUT nor DELETE. */
const ROOT_METHODS = 'GET, HEAD, POST, OPTIONS';
const CONTAINER_TYPE = 'application/json';

/**
 * The reference resource server: any media type under any path, JSON first-class,
 * containers (paths ending in `/`) that list their members and create them on POST; every
 * resource can be watched live with PREP. Returns a node:http request listener.
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
    throw new TypeError('follow needs a store that can listen (PostgresStore)');
  const engine = new PrepEngine(options);
  const history = new StoreHistory(store);
  const access = options.access;
  const writeRate = options.writeRate ?? (access ? DEFAULT_WRITE_RATE : false);
  if (writeRate && !(writeRate.perSecond >= 0 && writeRate.burst >= 1))
    throw new RangeError('writeRate needs perSecond >= 0 and burst >= 1');
  const limiter = writeRate ? new WriteRateLimiter() : undefined;
  const wes =
    options.wes === false
      ? undefined
      : createWesPublisher({
          ...(options.wes ?? {}),
          store,
          ...(options.corsOrigin !== undefined ? { corsOrigin: options.corsOrigin } : {}),
          ...(access ? { access } : {}),
        });
  const preHandlers = [...(wes ? [wes] : []), ...(options.preHandlers ?? [])];
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxUrl = options.maxUrlLength ?? 4096;
  const cors = options.corsOrigin ?? '*';
  const corsHeaders: Array<[string, string]> =
    cors === false
      ? []
      : [
          ['Access-Control-Allow-Origin', cors],
          // SEC-4: scripts on other origins may read the PREP fields and validators.
          [
            'Access-Control-Expose-Headers',
            // SEC-1, SEC-2: a page can tell a missing token (401) and when to retry a 429.
            'Events, Accept-Events, ETag, Last-Modified, Location, Content-Location, Accept-Patch, Link, Retry-After, WWW-Authenticate',
          ],
        ];

  // The history bound: prune on a timer, off the request path.
  const bound = options.history ?? {};
  const pruneEvery = bound.pruneIntervalMs ?? 60_000;
  const pruneOptions = {
    maxEvents: bound.maxEvents ?? 100_000,
    maxAgeMs: bound.maxAgeMs ?? 7 * 24 * 3600_000,
  };
  const pruneTimer = setInterval(() => {
    store.prune(pruneOptions).catch(() => undefined);
  }, pruneEvery);
  pruneTimer.unref();

  // Committed writes go out once their writers' responses are sent (N822-3), in commit order
  // per subscriber: the same Announcer as createPrep's.
  const announcer = new Announcer(engine.hub, { writerStallMs: options.writerStallMs ?? 10_000 });

  // Scale-out: every event comes from the log. This node's writes wait in `local` (by the seq
  // of each of their events) until the follower reads them; writes still committing are in
  // `inflight`, which the follower awaits before delivering a page, so none is mistaken for
  // another node's.
  const local = new Map<number, LocalWrite>();
  const inflight = new Set<Promise<unknown>>();
  const delivered = new WeakSet<LocalWrite>();
  const follow = options.follow === true ? {} : options.follow || undefined;
  const follower =
    follow && canListen(store)
      ? new LogFollower({
          store,
          ...follow,
          beforeDeliver: () => Promise.allSettled([...inflight]),
          deliver,
        })
      : undefined;

  // What the engine replays: never a write not announced yet, which goes out live (N822-3):
  // one held for its writer, or (scale-out) one the follower has not delivered yet.
  const unannounced = (seq: number, path: string): boolean =>
    announcer.isHeld(seq, path) || (follower !== undefined && seq > (follower.mark ?? 0));
  const view: EventHistory = {
    lastSeq: () => history.lastSeq(),
    latestEventId: (path, isContainer) => history.latestEventId(path, isContainer),
    seqOf: (id) => history.seqOf(id),
    async eventsAfter(path, isContainer, afterSeq, withStates) {
      const events = await history.eventsAfter(path, isContainer, afterSeq, withStates);
      return events && withoutHeld(events, (seq) => unannounced(seq, path));
    },
    oldestHeld(path) {
      const held = announcer.oldestHeld(path);
      const next = follower ? (follower.mark ?? 0) + 1 : undefined;
      if (held === undefined) return next;
      return next === undefined ? held : Math.min(held, next);
    },
  };

  /** The follower's pages: this node's writes wait for their writers, others' go out. */
  function deliver(events: StoredEvent[]): void {
    for (const e of events) {
      const mine = local.get(e.seq);
      if (!mine) {
        announcer.after(undefined, [history.toHubEvent(e)]);
        continue;
      }
      // A write's events may span pages: it is announced with its first one.
      local.delete(e.seq);
      if (!delivered.has(mine)) {
        delivered.add(mine);
        announcer.after(mine.res, mine.events);
      }
    }
  }

  /**
   * Publishes a committed write once the writer's response has been sent, or once the writer
   * has gone: nothing committed goes unannounced (N822-2). In scale-out, once the follower has
   * read it from the log too.
   */
  function announce(res: ServerResponse, result: WriteResult, patch?: Representation): void {
    const events: HubEvent[] = result.events.map((e) => history.toHubEvent(e));
    const own = events.at(-1);
    if (!own) return;
    if (result.before && !isContainerPath(own.path))
      own.before = { contentType: result.before.contentType, body: result.before.body };
    if (result.after && !isContainerPath(own.path))
      own.after = { contentType: result.after.contentType, body: result.after.body };
    if (patch) own.patch = patch;
    if (!follower) {
      announcer.after(res, events);
      return;
    }
    const write: LocalWrite = { res, events };
    for (const e of events) local.set(e.seq, write);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    // A GET that may become a stream gets CORS in its head (`target.headers`), not through
    // setHeader, so node never builds a header dictionary per subscriber (~1 KB each). Its
    // other answers get them in get() or, for errors, in the catch below.
    const mayStream =
      method === 'GET' &&
      req.headers['accept-events'] !== undefined &&
      !req.url?.startsWith(RESERVED);
    if (!mayStream) for (const [n, v] of corsHeaders) res.setHeader(n, v);
    for (const pre of preHandlers) if (await pre.handle(req, res)) return;
    if (req.url?.startsWith(RESERVED))
      throw new HttpError(
        method === 'GET' || method === 'HEAD' ? 404 : 405,
        method === 'GET' || method === 'HEAD' ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED',
        `${RESERVED} is reserved for the server's own resources.`,
        method === 'GET' || method === 'HEAD' ? {} : { Allow: 'GET, HEAD' },
      );
    const url = req.url ?? '/';
    if (url.length > maxUrl)
      throw new HttpError(
        414,
        'URI_TOO_LONG',
        `The request target is longer than ${maxUrl} characters.`,
      );
    const path = targetPath(url);
    const principal = access ? authorizeRequest(access, req, method, path) : null;
    if (limiter && WRITE_METHODS.has(method)) limitWrites(limiter, req, principal);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return get(req, res, path, method, principal);
      case 'PUT':
        return put(req, res, path);
      case 'PATCH':
        return patch(req, res, path);
      case 'POST':
        return post(req, res, path);
      case 'DELETE':
        return del(req, res, path);
      case 'OPTIONS':
        return options_(req, res, path);
      default:
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here.`, {
          Allow: allowed(path),
        });
    }
  }

  /**
   * SEC-1: the right a method needs, checked before the store is read, so that a 404 tells
   * nothing to whom may not know. Returns the principal.
   */
  function authorizeRequest(
    policy: AccessPolicy,
    req: IncomingMessage,
    method: string,
    path: string,
  ): string | null {
    const wantsEvents = method === 'GET' && req.headers['accept-events'] !== undefined;
    try {
      const principal = policy.identify(req.headers);
      if (method === 'GET' || method === 'HEAD') authorize(policy, principal, 'read', path);
      // POST writes on the container (path); the others on the path itself.
      else if (WRITE_METHODS.has(method)) authorize(policy, principal, 'write', path);
      return principal;
    } catch (e) {
      // ERR-2: no notifications on a base that is an error, said as for a 404.
      if (!(e instanceof HttpError) || !wantsEvents) throw e;
      const n = engine.negotiate(method, req.headers, e.status, {
        path,
        client: req.socket.remoteAddress ?? 'unknown',
      });
      if (n.kind === 'ignore') throw e;
      throw new HttpErrorWithHeaders(
        e.status,
        e.code,
        e.message,
        [
          ['Events', engine.eventsHeader(412)],
          ['Vary', 'Accept-Events, Authorization'],
        ],
        e.headers,
      );
    }
  }

  /** SEC-2: one write from the client's bucket, or 429 with Retry-After before anything is read. */
  function limitWrites(
    bucket: WriteRateLimiter,
    req: IncomingMessage,
    principal: string | null,
  ): void {
    let rate = writeRate as WriteRate;
    const perMinute =
      principal !== null ? access?.limitsOf?.(principal)?.writesPerMinute : undefined;
    if (perMinute !== undefined) rate = { perSecond: perMinute / 60, burst: perMinute };
    // Addresses and principals apart: `\0` starts no principal id a policy would make up.
    const key = principal ?? `\0${req.socket.remoteAddress ?? 'unknown'}`;
    const waitMs = bucket.take(key, rate);
    if (waitMs === 0) return;
    const seconds = Math.min(3600, Math.max(1, Math.ceil(waitMs / 1000)));
    throw new HttpError(
      429,
      'TOO_MANY_WRITES',
      `Too many writes from this client; retry in ${seconds} s.`,
      { 'Retry-After': String(seconds) },
    );
  }

  async function representation(
    path: string,
    principal: string | null,
  ): Promise<{ resource: Resource; body: Uint8Array } | undefined> {
    const resource = await store.get(path);
    if (!resource) return undefined;
    if (!isContainerPath(path)) return { resource, body: resource.body };
    let members = (await store.members(path)) ?? [];
    // SEC-1: a listing names only the members its reader may read.
    if (access) members = members.filter((m) => access.allows(principal, 'read', m.path));
    const listing = { path, members: members.map((m) => m.path) };
    return { resource, body: Buffer.from(JSON.stringify(listing)) };
  }

  async function get(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    method: string,
    principal: string | null,
  ): Promise<void> {
    const wantsEvents = method === 'GET' && req.headers['accept-events'] !== undefined;
    // Read the log position before the representation: events after it are sent, so none
    // falls between the read and the subscription (at worst one is sent twice).
    let afterSeq: number;
    let found;
    try {
      afterSeq = wantsEvents ? await history.lastSeq() : 0;
      found = await representation(path, principal);
    } catch (e) {
      // The database is down: no base, so no stream either (ERR-2 style `Events` status).
      if (wantsEvents && e instanceof StoreError && e.code === 'STORE_UNAVAILABLE')
        throw new HttpErrorWithHeaders(503, e.code, e.message, [
          ['Events', engine.eventsHeader(503)],
          ['Vary', 'Accept-Events'],
          ['Retry-After', '5'],
        ]);
      throw e;
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    if (!found) {
      const n = engine.negotiate(method, req.headers, 404, { path, client, principal });
      const extra: Array<[string, string]> = [];
      if (n.kind !== 'ignore')
        extra.push(['Events', engine.eventsHeader(412)], ['Vary', 'Accept-Events']);
      throw new HttpErrorWithHeaders(404, 'NOT_FOUND', `No resource at ${path}.`, extra);
    }
    const { resource, body } = found;
    const contentType = isContainerPath(path) ? CONTAINER_TYPE : resource.contentType;
    const lastModified = formatHttpDate(resource.lastModified);
    const headers: Array<[string, string]> = [
      ['Content-Type', contentType],
      ['ETag', resource.etag],
      ['Last-Modified', lastModified],
    ];
    const status = notModified(req, resource) ? 304 : 200;
    const negotiation = engine.negotiate(method, req.headers, status, { path, client, principal });
    if (negotiation.kind === 'stream') {
      const base: BaseResponse = { status, headers, body };
      await engine.stream(req, res, base, negotiation, {
        path,
        isContainer: isContainerPath(path),
        client,
        principal,
        afterSeq,
        history: view,
        headers: corsHeaders,
      });
      return;
    }
    if (wantsEvents) for (const [n, v] of corsHeaders) res.setHeader(n, v);
    res.statusCode = status;
    for (const [n, v] of headers) res.setHeader(n, v);
    // DSC-1: advertise notifications on HEAD and GET; Vary, since Accept-Events changes the answer.
    res.setHeader('Accept-Events', engine.advertisement);
    // With a policy, the answer depends on who asks (SEC-1): no shared cache may reuse it.
    res.setHeader('Vary', access ? 'Accept-Events, Authorization' : 'Accept-Events');
    res.setHeader('Cache-Control', access ? 'private, no-cache' : 'no-cache');
    res.setHeader('Allow', allowed(path));
    // WES discovery: a container advertises its change feed and snapshot.
    if (wes && isContainerPath(path)) res.setHeader('Link', wesLinks(path));
    if (!isContainerPath(path) && isJson(resource.contentType))
      res.setHeader('Accept-Patch', ACCEPT_PATCH);
    if (negotiation.kind === 'refuse') {
      // ERR-2 / ERR-3 / ERR-4: the base response as is, with the notifications' status.
      res.setHeader('Events', engine.eventsHeader(negotiation.status));
      if (negotiation.retryAfter !== undefined)
        res.setHeader('Retry-After', String(negotiation.retryAfter));
    }
    if (status === 304) {
      res.end();
      return;
    }
    res.setHeader('Content-Length', body.length);
    res.end(method === 'HEAD' ? undefined : body);
  }

  async function put(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'The root container always exists.', {
        Allow: ROOT_METHODS,
      });
    const body = await readBody(req, maxBody);
    const container = isContainerPath(path);
    const contentType = container ? CONTAINER_TYPE : requireContentType(req);
    if (container && body.length > 0 && !isEmptyJsonObject(body))
      throw new HttpError(
        400,
        'CONTAINER_BODY',
        'PUT to a container path creates an empty container: send no body.',
      );
    if (!container) checkJson(contentType, body);
    const result = await write(
      {
        path,
        apply: (current) => {
          checkPreconditions(req, current);
          if (container && current)
            throw new HttpError(409, 'CONTAINER_EXISTS', `The container ${path} already exists.`);
          return {
            op: 'put',
            path,
            contentType,
            body: container ? new Uint8Array(0) : body,
            event: { method: 'PUT', status: current ? 204 : 201 },
          };
        },
      },
      res,
    );
    respondWritten(res, result, result.before ? 204 : 201, path);
  }

  async function patch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (isContainerPath(path))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'A container cannot be patched.', {
        Allow: allowed(path),
      });
    const type = mediaEssence(req.headers['content-type']);
    if (!type || !PATCH_TYPES.includes(type))
      throw new HttpError(
        415,
        'UNSUPPORTED_PATCH_TYPE',
        `PATCH takes ${ACCEPT_PATCH}; got ${type ?? 'no Content-Type'}.`,
        {
          'Accept-Patch': ACCEPT_PATCH,
        },
      );
    const body = await readBody(req, maxBody);
    try {
      JSON.parse(Buffer.from(body).toString('utf8'));
    } catch (e) {
      throw new HttpError(
        400,
        'PATCH_MALFORMED',
        `The patch is not valid JSON: ${(e as Error).message}`,
      );
    }
    const patchDoc = { contentType: type, body };
    const result = await write(
      {
        path,
        apply: (current) => {
          if (!current) throw new HttpError(404, 'NOT_FOUND', `No resource at ${path}.`);
          checkPreconditions(req, current);
          if (!isJson(current.contentType))
            throw new HttpError(
              415,
              'NOT_JSON',
              `Only JSON resources can be patched; ${path} is ${current.contentType}.`,
              {
                'Accept-Patch': ACCEPT_PATCH,
              },
            );
          const next = applyDelta(type, current.body, body);
          return {
            op: 'put',
            path,
            contentType: current.contentType,
            body: next,
            event: { method: 'PATCH', status: 204, body, bodyType: type },
          };
        },
      },
      res,
      patchDoc,
    );
    respondWritten(res, result, 204, path);
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!isContainerPath(path))
      throw new HttpError(
        405,
        'METHOD_NOT_ALLOWED',
        'POST creates members of containers (paths ending in /).',
        {
          Allow: RESOURCE_METHODS,
        },
      );
    const body = await readBody(req, maxBody);
    const contentType = requireContentType(req);
    checkJson(contentType, body);
    const slug = slugOf(req.headers.slug);
    for (let attempt = 0; ; attempt++) {
      const name =
        attempt === 0 && slug ? slug : `${slug ? `${slug}-` : ''}${randomBytes(5).toString('hex')}`;
      const member = `${path}${name}`;
      try {
        const result = await write(
          {
            path,
            apply: (current): Change => {
              if (!current) throw new HttpError(404, 'NOT_FOUND', `No container at ${path}.`);
              checkPreconditions(req, current);
              return {
                op: 'put',
                path: member,
                contentType,
                body,
                createOnly: true,
                event: { method: 'POST', status: 201 },
              };
            },
          },
          res,
        );
        respondWritten(res, result, 201, member);
        return;
      } catch (e) {
        // The name is taken, by a resource or by a container (`x/` blocks `x`): try another.
        if (
          e instanceof StoreError &&
          (e.code === 'STORE_EXISTS' || e.code === 'STORE_CONFLICT') &&
          attempt < 5
        )
          continue;
        throw e;
      }
    }
  }

  async function del(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'The root container cannot be deleted.', {
        Allow: ROOT_METHODS,
      });
    await write(
      {
        path,
        apply: (current) => {
          if (!current) throw new HttpError(404, 'NOT_FOUND', `No resource at ${path}.`);
          checkPreconditions(req, current);
          return { op: 'delete', path, event: { method: 'DELETE', status: 204 } };
        },
      },
      res,
    );
    res.statusCode = 204;
    res.end();
  }

  async function options_(_req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    res.statusCode = 204;
    const allow = allowed(path);
    res.setHeader('Allow', allow);
    res.setHeader('Accept-Patch', ACCEPT_PATCH);
    if (cors !== false) {
      res.setHeader('Access-Control-Allow-Methods', allow);
      res.setHeader(
        'Access-Control-Allow-Headers',
        // SEC-4: the PREP request fields, and what writes need.
        'Accept-Events, Last-Event-ID, Content-Type, If-Match, If-None-Match, If-Modified-Since, Slug, Authorization',
      );
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.end();
    return Promise.resolve();
  }

  /** Runs a write and announces it (see `announce`) as soon as it has committed. */
  async function write(
    request: Parameters<Store['write']>[0],
    res: ServerResponse,
    patchDoc?: Representation,
  ): Promise<WriteResult> {
    if (!follower) {
      const result = await store.write(request);
      announce(res, result, patchDoc);
      return result;
    }
    // Events committed before the follower's starting mark would never be announced.
    await follower.started();
    const committing = store.write(request);
    inflight.add(committing);
    try {
      const result = await committing;
      // In the same turn as leaving `inflight`: the follower sees it as this node's write.
      announce(res, result, patchDoc);
      return result;
    } finally {
      inflight.delete(committing);
    }
  }

  function respondWritten(
    res: ServerResponse,
    result: WriteResult,
    status: number,
    path: string,
  ): void {
    res.statusCode = status;
    if (result.after) {
      res.setHeader('ETag', result.after.etag);
      res.setHeader('Last-Modified', formatHttpDate(result.after.lastModified));
    }
    if (status === 201) res.setHeader('Location', path);
    res.end();
  }

  return {
    engine,
    history,
    store,
    /** The request body limit in bytes (`maxBodyBytes`). */
    maxBodyBytes: maxBody,
    /** The node:http request listener. Errors become problem+json answers. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      handle(req, res).catch((err: unknown) => {
        const extra = err instanceof HttpErrorWithHeaders ? [...err.extra] : [];
        // A would-be stream has no CORS headers set yet (see handle()).
        if (!res.headersSent && !res.hasHeader('access-control-allow-origin'))
          extra.unshift(...corsHeaders);
        // The database is down (PostgreSQL): it comes back by itself; ask to retry.
        if (err instanceof StoreError && err.code === 'STORE_UNAVAILABLE')
          extra.push(['Retry-After', '5']);
        sendProblem(req, res, err, extra);
      });
    },
    /** The Web Event Sourcing publisher, unless turned off. */
    wes,
    /** The log follower (option `follow`), if any. */
    follower,
    /** Stops timers and closes every stream with its close delimiters (RSP-7). */
    close(): void {
      void follower?.close();
      wes?.close();
      clearInterval(pruneTimer);
      announcer.close();
      engine.close();
    },
  };
}

/** An HttpError whose response also carries PREP headers (an `Events` status on a 404). */
class HttpErrorWithHeaders extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly extra: Array<[string, string]>,
    headers: Record<string, string> = {},
  ) {
    super(status, code, message, headers);
  }
}

/** The request target's path: dot segments resolved, query dropped, percent-encoding kept. */
export function targetPath(url: string): string {
  if (!url.startsWith('/'))
    throw new HttpError(400, 'BAD_TARGET', 'The request target must be an absolute path.');
  let path: string;
  try {
    // Appended, not resolved against a base: `//host/x` is a path here, not a network-path
    // reference to another authority (which would quietly serve `/x`).
    // WHATWG URL reads `\` as `/` in http URLs; on the wire it is just a byte of the path.
    path = new URL(`http://localhost${url.replaceAll('\\', '%5C')}`).pathname;
  } catch {
    throw new HttpError(400, 'BAD_TARGET', 'The request target is not a valid path.');
  }
  // eslint-disable-next-line no-control-regex
  if (/\/\/|[\u0000-\u001f\u007f]/.test(path))
    throw new HttpError(
      400,
      'BAD_TARGET',
      `The path ${JSON.stringify(path)} has an empty segment or a control character.`,
    );
  return path;
}

/** The methods a path takes (`Allow`). */
function allowed(path: string): string {
  if (path === '/') return ROOT_METHODS;
  return isContainerPath(path) ? CONTAINER_METHODS : RESOURCE_METHODS;
}

// Lenient on purpose: the essence of what a client sent, whatever its parameters (stored
// types keep their parameters as sent; src/core/media-type.ts would refuse malformed ones).
function mediaEssence(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() || undefined;
}

function isJson(contentType: string): boolean {
  const e = mediaEssence(contentType) ?? '';
  return e === 'application/json' || e.endsWith('+json');
}

function isEmptyJsonObject(body: Uint8Array): boolean {
  return Buffer.from(body).toString('utf8').trim() === '{}';
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/;

function requireContentType(req: IncomingMessage): string {
  const ct = req.headers['content-type']?.trim();
  if (!ct) throw new HttpError(415, 'CONTENT_TYPE_REQUIRED', 'Send a Content-Type with the body.');
  if (!MEDIA_TYPE.test(ct))
    throw new HttpError(
      415,
      'CONTENT_TYPE_INVALID',
      `Content-Type ${JSON.stringify(ct)} is not a media type.`,
    );
  return ct;
}

function checkJson(contentType: string, body: Uint8Array): void {
  if (!isJson(contentType)) return;
  try {
    JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (e) {
    throw new HttpError(
      400,
      'MALFORMED_JSON',
      `The body is not valid JSON: ${(e as Error).message}`,
    );
  }
}

/**
 * `Slug` (RFC 5023 §9.7): a hint for the new member's name, made safe for a path segment.
 * Its UTF-8 arrives either percent-encoded (as RFC 5023 says) or raw, which node:http hands
 * over as Latin-1; accents are dropped (`Crème brûlée` → `Creme-brulee`), every other run of
 * characters outside the unreserved set becomes `-`, and dots cannot lead (no `..`).
 */
function slugOf(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  let text = Buffer.from(raw, 'latin1').toString('utf8');
  try {
    text = decodeURIComponent(text);
  } catch {
    // keep it as sent
  }
  const slug = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._~-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64)
    .replace(/[-.]+$/, '');
  return slug || undefined;
}

/** Entity tags of an If-Match / If-None-Match list; `*` as its own entry. */
function entityTags(value: string): string[] {
  return value.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
}

/** RFC 9110 §13.2.2: If-Match, then If-None-Match (for writes); 412 when one fails. */
function checkPreconditions(req: IncomingMessage, current: Resource | undefined): void {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined) {
    const tags = entityTags(ifMatch);
    const ok =
      current !== undefined &&
      tags.some((t) => t === '*' || (!t.startsWith('W/') && t === current.etag));
    if (!ok)
      throw new HttpError(
        412,
        'PRECONDITION_FAILED',
        current
          ? `If-Match: the current ETag is ${current.etag}.`
          : 'If-Match: there is no current representation.',
      );
  }
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && current !== undefined) {
    const tags = entityTags(ifNoneMatch);
    if (tags.some((t) => t === '*' || weakEqual(t, current.etag)))
      throw new HttpError(
        412,
        'PRECONDITION_FAILED',
        `If-None-Match: the resource exists with ETag ${current.etag}.`,
      );
  }
}

function weakEqual(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** GET/HEAD: If-None-Match (weak comparison), else If-Modified-Since → 304. */
function notModified(req: IncomingMessage, resource: Resource): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined)
    return entityTags(inm).some((t) => t === '*' || weakEqual(t, resource.etag));
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = parseHttpDate(ims);
  return (
    since !== undefined &&
    Math.floor(resource.lastModified / 1000) <= Math.floor(since.getTime() / 1000)
  );
}

export { parentOf };
