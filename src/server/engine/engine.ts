import type { IncomingHttpHeaders } from 'node:http';
import { createBoundary } from '@prep-live/client/core';
import { containsDelimiter, encodePrepHead } from '@prep-live/client/core';
import { DELTA_TYPES, deltaTypesFor, isDeltaType } from '@prep-live/client/core';
import {
  negotiateNotifications,
  parseAcceptEvents,
  readNotificationAccept,
  selectProtocol,
  serializeEventsField,
  serializePrepAdvertisement,
  type NotificationOffer,
} from '@prep-live/client/core';
import type { AccessPolicy } from '../auth/access.js';
import { DEFAULTS } from '../settings.js';
import { LocalAdmission, type Admission, type StreamKeys, type StreamLimit } from './admission.js';
import {
  Hub,
  type HubEvent,
  type HubOptions,
  type NotificationFormat,
  type Subscription,
} from './hub.js';
import type { StreamSink } from './sink.js';
import { TurnBudget } from './turn-budget.js';
import {
  createNodeTransport,
  type NodeRequest,
  type NodeResponse,
  type PrepTransport,
} from './transport.js';

/**
 * What the engine needs to know of an application's event history: enough for
 * `Last-Event-ID` (RSP-5, EXT-1) and to close the gap between reading a representation and
 * subscribing to it. Our store implements it (`StoreHistory`); an app without a log can use
 * `MemoryHistory`.
 */
export interface EventHistory {
  /** The seq of the newest committed event (0 if none). Read before the representation. */
  lastSeq(): Promise<number>;
  /** The Event-ID of the newest event about `path` (and, for a container, its members). */
  latestEventId(path: string, isContainer: boolean): Promise<string | undefined>;
  /** The seq an Event-ID stands for, or undefined when it is not one of ours. */
  seqOf(eventId: string): number | undefined;
  /**
   * Events about `path` (and its direct members, for a container) with seq > `afterSeq`, in
   * order, with the representations before and after each when `withStates` (for deltas);
   * undefined when the history no longer holds them all. With a `budget` (a `Last-Event-ID`
   * replay), undefined too when reading them, and rebuilding and diffing their states, would
   * cost more than it allows (SEC-2): the client then gets the current representation
   * (RSP-5). Without one, every event, with states as far as the history affords them.
   */
  eventsAfter(
    path: string,
    isContainer: boolean,
    afterSeq: number,
    withStates: boolean,
    budget?: ReplayBudget,
  ): Promise<HubEvent[] | undefined>;
  /**
   * The seq of the oldest committed event not announced yet to `path`'s subscribers (N822-3:
   * its writer's response is not sent, or an older one's), which `eventsAfter` leaves out. A replay counts as sent only below it, so the
   * live notification is not taken for a repeat. Absent: none is ever held back.
   */
  oldestHeld?(path: string): number | undefined;
}

/**
 * What one `Last-Event-ID` replay may cost (SEC-2): the events read (to rebuild the states
 * and to replay) and the bytes of representation handled (each patch applied counts the
 * state it is applied to, each delta the two states it is made from). Beyond either, the
 * client gets the current representation instead (RSP-5).
 */
export interface ReplayBudget {
  maxEvents: number;
  maxBytes: number;
}

/** Subscription limits (SEC-2), each answered with an `Events` status, never a crash. */
export interface SubscriptionLimits {
  /** All open streams. Default 100 000; beyond it, `Events` status 503. */
  maxSubscriptions?: number;
  /** Open streams per client (address, or token). Default 1000; beyond it, status 429. */
  maxPerClient?: number;
  /** Open streams per resource. Default 50 000; beyond it, status 503. */
  maxPerResource?: number;
  /**
   * Open streams per authenticated principal (token), on top of the per-address bound; an
   * access policy may set it per principal (`limitsOf`). Default 1000; beyond it, status 429.
   */
  maxPerPrincipal?: number;
  /**
   * Identical streams (same address, principal, resource and format) of an authenticated
   * principal: a few tabs are fine, a reconnect loop that never closes is not. Anonymous
   * clients are not told apart behind one address (NAT), so for them only `maxPerClient`
   * applies. Default 8; beyond it, status 429.
   */
  maxIdentical?: number;
  /** The `Retry-After` seconds sent with 429 and 503. Default 5. */
  retryAfter?: number;
}

export interface EngineOptions extends HubOptions {
  /** The notification formats offered; default `message/rfc822` with every delta type. */
  formats?: readonly NotificationOffer[];
  limits?: SubscriptionLimits;
  /**
   * What one `Last-Event-ID` replay with deltas may cost; beyond it the client gets the
   * current representation (RSP-5). Default 1000 events, 16 MiB.
   */
  replay?: Partial<ReplayBudget>;
  /**
   * Who may subscribe to what (SEC-1). Default none: everyone may. With one, a stream needs
   * the `subscribe` right, a container's stream hears only of members its principal may
   * read, and streams whose rights are revoked (`onChange`) are closed.
   */
  access?: AccessPolicy;
  /**
   * Where streams are counted against `limits`: this process (default), or a cluster
   * primary for all its workers, so that the bounds hold across processes.
   */
  admission?: Admission;
}

/** The base response: what the same GET would return without notifications. */
export interface BaseResponse {
  status: number;
  /** Representation headers (Content-Type, ETag, Last-Modified, ...): part 1's headers. */
  headers: ReadonlyArray<readonly [string, string]>;
  body?: Uint8Array;
}

/** Where a notifications stream is about and what it starts from. */
export interface StreamTarget {
  /** The resource's path: the channel the stream subscribes to. */
  path: string;
  /** A container's streams also hear of its members' changes (N822-6). */
  isContainer: boolean;
  /** The client, for the per-client limit (SEC-2). */
  client: string;
  /** Who is asking (the access policy's `identify`); null or absent: anonymous. */
  principal?: string | null;
  /** The history's `lastSeq()`, read before the base representation was. */
  afterSeq: number;
  history: EventHistory;
  /** Extra response headers (CORS, ...). */
  headers?: ReadonlyArray<readonly [string, string]>;
  /**
   * Called once the stream is open (its head and part 1 written), with a way to end it
   * cleanly (both close delimiters, RSP-7) whenever the application must: e.g. a request
   * pipelined behind it on its HTTP/1.1 connection, which cannot be answered before it ends.
   */
  onOpen?: (end: () => void) => void;
  /**
   * Part 1 is a part of the representation, not all of it (a page of a container listing):
   * its notifications tell what changed (Method, Event-ID, Content-Location) but carry no
   * ETag (N822-5: the tags are of the whole representation) and no delta (negotiated with
   * `partial` too). Default false.
   */
  partial?: boolean;
  /**
   * The `Vary` the resource's other answers send (`Accept, Accept-Events` for a resource
   * also negotiated by `Accept`): the stream's lists these too, plus Last-Event-ID when
   * honoured (RSP-5). Default `Accept-Events`, and `Authorization` with an access policy.
   */
  vary?: string;
}

/** The outcome of negotiation for one request. */
export type Negotiation =
  /** HDR-4 / ERR-1: no (usable) `Accept-Events` for us: answer as usual, without `Events`. */
  | { kind: 'ignore' }
  /** ERR-2 / ERR-3: the base response, plus `Events` with this status. */
  | { kind: 'refuse'; status: number; retryAfter?: number; reason: RefusalReason }
  /**
   * Serve notifications in this format. The stream is counted against the limits already
   * (`keys`): pass it to `stream`, which counts it out when the stream ends.
   */
  | { kind: 'stream'; format: NotificationFormat; varyAccept: boolean; keys: StreamKeys };

/**
 * Why a stream was refused: a subscription limit (named after its flag), or `not-streamable`
 * (ERR-2, 412), `forbidden` (SEC-1, 403), `not-acceptable` (ERR-3, 406), `draining` (the
 * server is shutting down, 503), `unavailable` (a cluster primary could not be asked, 503).
 */
export type RefusalReason =
  StreamLimit | 'not-streamable' | 'forbidden' | 'not-acceptable' | 'draining' | 'unavailable';

/** Counters of the engine, read by a metrics endpoint when it is scraped. */
export interface EngineStats {
  /** Streams refused, by reason. */
  refused: Map<RefusalReason, number>;
  /** Open streams by notification format, delta type and HTTP version. */
  open: Map<string, OpenStreams>;
}

/** How many streams of one format, delta type and HTTP version are open. */
export interface OpenStreams {
  format: string;
  /** The delta type, or '' for none. */
  delta: string;
  /** `1.1`, `2`, or '' when the transport does not say. */
  httpVersion: string;
  count: number;
}

/** A media type no delta type of ours fits: the offers of a `partial` base. */
const NO_DELTAS = 'application/octet-stream';

/** The base statuses that may carry notifications (ERR-2). */
const STREAMABLE = new Set([200, 204, 206, 226]);

/**
 * The PREP engine: framework-agnostic negotiation, the notifications response, fan-out and
 * limits. A resource server computes the base response; the engine decides and serves.
 */
export class PrepEngine {
  readonly hub: Hub;
  readonly formats: readonly NotificationOffer[];
  readonly limits: Required<SubscriptionLimits>;
  /** What one `Last-Event-ID` replay may cost (`EngineOptions.replay`). */
  readonly replayBudget: ReplayBudget;
  /**
   * The advertisement (DSC-1) of a resource whose media type is not known: every configured
   * format with every delta type. A resource of a known type gets `advertisementFor`'s.
   */
  readonly advertisement: string;
  readonly access: AccessPolicy | undefined;
  readonly admission: Admission;
  readonly stats: EngineStats = { refused: new Map(), open: new Map() };
  #draining = false;
  /** With an access policy: every open stream's principal, re-checked when rights change. */
  readonly #principals = new Map<Subscription, string | null>();
  readonly #unwatch: (() => void) | undefined;
  /**
   * The offers and advertisement per set of delta types a media type allows: a handful of
   * entries whatever the media types clients store (the key is the delta list, not the type).
   */
  readonly #byDeltas = new Map<
    string,
    { offers: readonly NotificationOffer[]; advertisement: string }
  >();

  constructor(options: EngineOptions = {}) {
    this.hub = new Hub(options);
    this.formats = options.formats ?? [{ type: 'message/rfc822', deltas: DELTA_TYPES }];
    this.limits = {
      maxSubscriptions: options.limits?.maxSubscriptions ?? DEFAULTS.maxSubscriptions,
      maxPerClient: options.limits?.maxPerClient ?? DEFAULTS.maxSubscriptionsPerClient,
      maxPerResource: options.limits?.maxPerResource ?? DEFAULTS.maxSubscriptionsPerResource,
      maxPerPrincipal: options.limits?.maxPerPrincipal ?? DEFAULTS.maxSubscriptionsPerToken,
      maxIdentical: options.limits?.maxIdentical ?? DEFAULTS.maxIdenticalSubscriptions,
      retryAfter: options.limits?.retryAfter ?? 5,
    };
    this.replayBudget = {
      maxEvents: options.replay?.maxEvents ?? DEFAULTS.replayMaxEvents,
      maxBytes: options.replay?.maxBytes ?? DEFAULTS.replayMaxBytes,
    };
    this.access = options.access;
    this.admission = options.admission ?? new LocalAdmission();
    this.#unwatch = this.access?.onChange?.(() => this.recheck());
    this.advertisement = serializePrepAdvertisement(this.formats);
  }

  /**
   * The notification formats a resource of media type `contentType` can be served in (REQ-4,
   * N822-8): the configured ones, each with only the delta types that media type allows
   * (`deltaTypesFor`: JSON takes JSON Patch, merge patch and the unified diff, other UTF-8
   * text the unified diff, binary none). `undefined` (the type is not known): as configured.
   * `partial` (the base is a part of the representation, a listing page): no delta type.
   *
   * @example
   * ```ts
   * engine.offersFor('text/plain'); // [{ type: 'message/rfc822', deltas: ['text/plain'] }]
   * ```
   */
  offersFor(contentType: string | undefined, partial = false): readonly NotificationOffer[] {
    return this.#forType(partial ? NO_DELTAS : contentType).offers;
  }

  /**
   * The `Accept-Events` a resource of media type `contentType` sends on HEAD and GET (DSC-1)
   * and in its streams' heads (RSP-3): the formats of `offersFor`, with their delta types
   * (HDR-2); with `partial`, none. Computed once per set of delta types.
   *
   * @example
   * ```ts
   * engine.advertisementFor('application/json');
   * // '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))'
   * engine.advertisementFor('image/png'); // '"prep";accept="message/rfc822"'
   * ```
   */
  advertisementFor(contentType: string | undefined, partial = false): string {
    return this.#forType(partial ? NO_DELTAS : contentType).advertisement;
  }

  #forType(contentType: string | undefined): {
    offers: readonly NotificationOffer[];
    advertisement: string;
  } {
    // The key: which of our delta types the media type allows (JSON, text, neither).
    const key = contentType === undefined ? '*' : deltaTypesFor(contentType).join(' ');
    let entry = this.#byDeltas.get(key);
    if (entry === undefined) {
      const offers = this.formats.map((f): NotificationOffer => {
        // A delta type we do not make (an app's own PATCH type, sent as is) is kept: only
        // ours are known not to fit.
        const deltas =
          contentType === undefined
            ? f.deltas
            : f.deltas?.filter(
                (d) => !isDeltaType(d) || deltaTypesFor(contentType, [d]).length > 0,
              );
        return deltas === undefined || deltas.length === 0
          ? { type: f.type }
          : { type: f.type, deltas };
      });
      // DSC-1, HDR-2: what we can send for this resource, its delta types listed.
      entry = { offers, advertisement: serializePrepAdvertisement(offers) };
      this.#byDeltas.set(key, entry);
    }
    return entry;
  }

  /**
   * SEC-1: closes, cleanly (both close delimiters, RSP-7), every open stream whose principal
   * may no longer read or subscribe to its resource. Called when the policy's rights change.
   */
  recheck(): void {
    const access = this.access;
    if (!access) return;
    for (const [sub, principal] of [...this.#principals]) {
      const path = sub.channel.path;
      if (!access.allows(principal, 'read', path) || !access.allows(principal, 'subscribe', path))
        this.hub.close(sub, 'revoked');
    }
  }

  /**
   * Refuses new streams from now on (`Events` status 503, `Retry-After`), so that clients
   * go to another server while this one drains; open streams stay until `close`.
   */
  drain(): void {
    this.#draining = true;
  }

  /** Whether `drain` was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Stops listening to the policy and closes every stream (RSP-7). */
  close(): void {
    this.#unwatch?.();
    this.hub.closeAll();
  }

  /**
   * Decides what to do with a request (REQ-1..4, HDR-4, ERR-1..3, MTH-2, SEC-2).
   *
   * @example
   * ```ts
   * const n = await engine.negotiate('GET', req.headers, 200, { path: '/a', client: '127.0.0.1' });
   * if (n.kind === 'refuse') res.setHeader('Events', engine.eventsHeader(n.status));
   * ```
   */
  async negotiate(
    method: string,
    headers: IncomingHttpHeaders,
    baseStatus: number,
    target: {
      path: string;
      client: string;
      principal?: string | null;
      /** The base's media type: which delta types are offered (`offersFor`). */
      contentType?: string | undefined;
      /** The base is a part of the representation (a listing page): no delta is offered. */
      partial?: boolean;
    },
  ): Promise<Negotiation> {
    // MTH-2, HDR-4: only GET is a notifications request; elsewhere Accept-Events is ignored.
    if (method !== 'GET') return { kind: 'ignore' };
    const entries = parseAcceptEvents(headers['accept-events']);
    if (!entries) return { kind: 'ignore' }; // HDR-4: absent or unparsable
    const prep = selectProtocol(entries, ['prep']);
    if (!prep) return { kind: 'ignore' }; // REQ-4: prep absent or q=0; HDR-4: unknown ones
    if (!STREAMABLE.has(baseStatus)) return this.#refuse(412, 'not-streamable'); // ERR-2
    const principal = target.principal ?? null;
    // SEC-1, ERR-3: may read (the base is served) but not subscribe.
    if (this.access && !this.access.allows(principal, 'subscribe', target.path))
      return this.#refuse(403, 'forbidden');
    // REQ-3: event fields we do not know are ignored; only `accept` matters here.
    // N822-8: only the deltas this resource's media type allows are offered; one asked for
    // that it cannot have leaves the format without a delta, not refused (see pickDelta).
    const choice = negotiateNotifications(
      readNotificationAccept(prep.fields),
      this.offersFor(target.contentType, target.partial === true),
    );
    if (!choice) return this.#refuse(406, 'not-acceptable'); // ERR-3
    if (this.#draining) return this.#refuse(503, 'draining', this.limits.retryAfter);
    const format: NotificationFormat = { type: choice.type };
    if (choice.delta !== undefined) format.delta = choice.delta;
    const keys: StreamKeys = { client: target.client, path: target.path };
    if (principal !== null) {
      const max =
        this.access?.limitsOf?.(principal)?.maxSubscriptions ?? this.limits.maxPerPrincipal;
      keys.principal = { id: principal, max };
      keys.identical = identicalKey(target.client, principal, target.path, format);
    }
    // SEC-2: counted in now, so that streams negotiated at once cannot all slip under a bound.
    const refused = await this.admission.acquire(keys, this.limits);
    if (refused !== undefined)
      return this.#refuse(refused.status, refused.limit, this.limits.retryAfter);
    return { kind: 'stream', format, varyAccept: choice.varyAccept, keys };
  }

  #refuse(
    status: number,
    reason: RefusalReason,
    retryAfter?: number,
  ): Extract<Negotiation, { kind: 'refuse' }> {
    this.stats.refused.set(reason, (this.stats.refused.get(reason) ?? 0) + 1);
    return retryAfter === undefined
      ? { kind: 'refuse', status, reason }
      : { kind: 'refuse', status, reason, retryAfter };
  }

  /** The `Events` value for a response that serves no notifications (ERR-2, ERR-3). */
  eventsHeader(status: number): string {
    return serializeEventsField({ protocol: 'prep', status });
  }

  /**
   * Sends the notifications response (RSP-1..7) on a node:http response, or a node:http2
   * compat one, and subscribes it. `afterSeq` is the history's `lastSeq()` read before the
   * base representation was.
   */
  async stream(
    req: NodeRequest,
    res: NodeResponse,
    base: BaseResponse,
    negotiation: Extract<Negotiation, { kind: 'stream' }>,
    target: StreamTarget,
  ): Promise<void> {
    return this.streamTo(createNodeTransport(req, res), base, negotiation, target);
  }

  /**
   * Sends the notifications response (RSP-1..7) on any transport (see `PrepTransport`:
   * node:http, node:http2 compat or core streams) and subscribes it.
   *
   * @example
   * ```ts
   * import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
   *
   * declare const stream: ServerHttp2Stream, headers: IncomingHttpHeaders; // a GET's
   * declare const base: BaseResponse, target: StreamTarget; // its base response, and who and what
   * const n = await engine.negotiate('GET', headers, 200, target);
   * if (n.kind === 'stream')
   *   await engine.streamTo(createHttp2StreamTransport(stream, headers), base, n, target);
   * ```
   */
  async streamTo(
    transport: PrepTransport,
    base: BaseResponse,
    negotiation: Extract<Negotiation, { kind: 'stream' }>,
    target: StreamTarget,
  ): Promise<void> {
    const { format } = negotiation;
    const { history, path, isContainer } = target;
    const deltas = format.delta !== undefined;
    // RSP-5 / EXT-1: what Last-Event-ID asks for.
    const lastEventId = headerValue(transport.requestHeaders['last-event-id'])?.trim();
    let start;
    try {
      start = await resumePoint(history, target, lastEventId, deltas);
    } catch (e) {
      // The history cannot be read (the database is down): the stream is not opened.
      this.admission.release(negotiation.keys);
      throw e;
    }

    // Part 1 may carry the body after all (a replay over its budget): the boundary must
    // never occur in it.
    let mixed = createBoundary();
    while (base.body && containsDelimiter(base.body, mixed)) mixed = createBoundary();

    const events = serializeEventsField(
      negotiation.varyAccept
        ? { protocol: 'prep', status: 200, expires: this.hub.expires, vary: ['accept'] }
        : { protocol: 'prep', status: 200, expires: this.hub.expires },
    );
    const lastModified = fieldOf(base.headers, 'last-modified');
    // RSP-1 MUST headers; RSP-2 SHOULD headers; RSP-3 the advertisement.
    const head: Array<[string, string]> = [
      ['Content-Type', `multipart/mixed; boundary="${mixed}"`],
      ['Events', events],
      // RSP-2, RSP-5; with a policy, what a stream holds depends on who asks (SEC-1).
      ['Vary', streamVary(target.vary, lastEventId !== undefined, this.access !== undefined)],
      [
        'Accept-Events',
        this.advertisementFor(fieldOf(base.headers, 'content-type'), target.partial === true),
      ],
      ['Cache-Control', 'no-store'],
      // Intermediaries must forward each part as it comes, not buffer the stream: nginx
      // reads X-Accel-Buffering; Incremental is the standard field (RFC 10036, a
      // Structured Field Boolean) that other proxies read.
      ['X-Accel-Buffering', 'no'],
      ['Incremental', '?1'],
    ];
    if (lastModified !== undefined) head.push(['Last-Modified', lastModified]);
    for (const h of target.headers ?? []) head.push([h[0], h[1]]);
    // RSP-8: the client may have gone while the base was read; its 'close' has fired then,
    // and a subscription made now would be held until it expires.
    if (transport.gone) {
      this.admission.release(negotiation.keys);
      return;
    }
    // RSP-1: a 204 or 206 base goes out as 200 (a 204 cannot carry the multipart body).
    const sink: StreamSink = transport.open(head);

    const sub = this.hub.subscribe({
      path,
      isContainer,
      format,
      sink,
      afterSeq: start.resumeFrom,
      mixed,
      partial: target.partial === true,
    });
    const access = this.access;
    const principal = target.principal ?? null;
    if (access) {
      this.#principals.set(sub, principal);
      // SEC-1: a container's stream never tells of a member its principal may not read.
      if (isContainer) sub.canSee = (member) => access.allows(principal, 'read', member);
    }
    const open = this.#openStreams(format, transport.httpVersion ?? '');
    open.count++;
    sub.onClose = () => {
      open.count--;
      this.admission.release(negotiation.keys);
      this.#principals.delete(sub);
    };
    // RSP-8: a client that goes away frees everything held for it.
    transport.onClose(() => this.hub.close(sub, 'client'));

    try {
      // Events committed since `resumeFrom`: the replay of EXT-1, or those that fell between
      // reading the representation and subscribing. Read once subscribed, so that none falls
      // in between; live ones that also arrived are de-duplicated.
      let missed = await history.eventsAfter(
        path,
        isContainer,
        start.resumeFrom,
        deltas,
        start.omitBody && start.resumeFrom < target.afterSeq ? this.replayBudget : undefined,
      );
      let omitBody = start.omitBody;
      if (missed === undefined && omitBody && start.resumeFrom < target.afterSeq) {
        // RSP-5: the replay costs more than its budget (or was pruned meanwhile): the
        // current representation instead, and what came after it.
        omitBody = false;
        sub.afterSeq = target.afterSeq;
        missed = await history.eventsAfter(path, isContainer, target.afterSeq, deltas);
      }
      // RSP-4: part 1 (always, RSP-5), then part 2 open up to the digest's first delimiter.
      // RSP-6: every delimiter ends a chunk (or DATA frame), these two `--M` as well as the
      // `--D`: three writes.
      const body = omitBody ? undefined : base.body;
      const opening = encodePrepHead({ mixed, digest: sub.channel.digest }, base.headers, body);
      for (const piece of splitAfterDelimiters(opening, mixed)) {
        const framed = this.hub.frame(sink, piece);
        this.hub.stats.bytes += framed.length;
        sink.write(framed);
      }
      target.onOpen?.(() => this.hub.close(sub, 'ended'));
      if (missed && missed.length > 0 && sub.state === 'pending') {
        // Rendered a few milliseconds at a time (deltas can be costly): other requests run.
        const turn = new TurnBudget();
        for (let i = 0; i < missed.length && sub.state === 'pending'; i++) {
          if (turn.due) await turn.next();
          this.hub.queueFor(sub, [missed[i]!]);
        }
        const held = history.oldestHeld?.(path);
        if (held !== undefined) sub.replayedTo = Math.min(sub.replayedTo, held - 1);
      }
    } finally {
      this.hub.activate(sub);
    }
  }

  /** The counter of open streams of one format and HTTP version (one per kind, kept). */
  #openStreams(format: NotificationFormat, httpVersion: string): OpenStreams {
    const key = `${format.type} ${format.delta ?? ''} ${httpVersion}`;
    let open = this.stats.open.get(key);
    if (!open) {
      open = { format: format.type, delta: format.delta ?? '', httpVersion, count: 0 };
      this.stats.open.set(key, open);
    }
    return open;
  }
}

/**
 * RSP-5 / EXT-1: where a stream starts. `Last-Event-ID: *` or the latest id: no body;
 * another id with a delta format: no body and a replay from there, if it fits its budget
 * (decided once subscribed: see `streamTo`); otherwise the body, from `afterSeq`.
 */
async function resumePoint(
  history: EventHistory,
  target: StreamTarget,
  lastEventId: string | undefined,
  deltas: boolean,
): Promise<{ omitBody: boolean; resumeFrom: number }> {
  const { path, isContainer, afterSeq } = target;
  const fromBase = { omitBody: false, resumeFrom: afterSeq };
  if (lastEventId === undefined || lastEventId === '') return fromBase;
  if (lastEventId === '*') return { omitBody: true, resumeFrom: afterSeq };
  if (lastEventId === (await history.latestEventId(path, isContainer)))
    return { omitBody: true, resumeFrom: afterSeq };
  if (!deltas) return fromBase;
  const seq = history.seqOf(lastEventId);
  if (seq === undefined || seq > afterSeq) return fromBase;
  return { omitBody: true, resumeFrom: seq };
}

/**
 * RSP-6: the opening write `--M CRLF <part 1> CRLF --M CRLF <part 2 head> --D` as three
 * pieces, each ending with a delimiter (`--M`, `--M`, `--D`), so that each becomes a chunk
 * (or a DATA frame) of its own. The second `--M` is the last `CRLF--M CRLF` of the bytes:
 * part 1's body never holds it (the boundary is chosen so) and part 2's head cannot.
 */
function splitAfterDelimiters(opening: Uint8Array, mixed: string): Uint8Array[] {
  const bytes = Buffer.from(opening.buffer, opening.byteOffset, opening.byteLength);
  const first = 2 + mixed.length;
  const at = bytes.lastIndexOf(`\r\n--${mixed}\r\n`, undefined, 'latin1');
  if (at < first) return [bytes];
  const second = at + 4 + mixed.length;
  return [bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)];
}

function identicalKey(
  client: string,
  principal: string,
  path: string,
  format: NotificationFormat,
): string {
  return `${client}\0${principal}\0${path}\0${format.type}\0${format.delta ?? ''}`;
}

/** The stream's Vary: the resource's, with Last-Event-ID when honoured (RSP-5). */
function streamVary(vary: string | undefined, lastEventId: boolean, access: boolean): string {
  const fields = (vary ?? 'Accept-Events').split(',').map((f) => f.trim());
  if (!fields.includes('Accept-Events')) fields.push('Accept-Events');
  if (lastEventId) fields.splice(fields.indexOf('Accept-Events') + 1, 0, 'Last-Event-ID');
  if (access && !fields.includes('Authorization')) fields.push('Authorization');
  return fields.join(', ');
}

/** A field of a header list (names case-insensitive), the first if several. */
function fieldOf(headers: BaseResponse['headers'], lower: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
