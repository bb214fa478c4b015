import {
  MultipartError,
  createBoundary,
  createDelta,
  encodeDigestPart,
  encodeKeepAlive,
  encodePrepClose,
  serializeNotification,
  type Notification,
  type Representation,
} from '@prep-live/client/core';
import { DEFAULTS } from '../settings.js';
import { frameChunk, type StreamSink } from './sink.js';

/**
 * The time the deltas of one event-loop turn may take together (and one delta's search):
 * past it, that turn's later notifications go without a delta (the clients re-fetch).
 */
const DELTA_TURN_MS = 20;

/** Bytes (before and after together) under which a delta is made whatever the turn's budget. */
const SMALL_DELTA_INPUT = 64 * 1024;

/**
 * One committed change, as the hub fans it out. Built from a store event (plus, for local
 * writes, the representations before and after, so deltas need no extra reads).
 */
export interface HubEvent {
  /** Commit order; a subscription only receives events with a greater seq than its base. */
  seq: number;
  /** The Event-ID (N822-4): opaque, unique per resource. */
  id: string;
  /** When the change committed (N822-4 `Date`). */
  time: number;
  method: string;
  /** The resource the event is about. */
  path: string;
  /** Its direct parent container, whose subscribers are told too (N822-6). */
  parent: string | null;
  /** The resource's new ETag; null after DELETE. */
  etag: string | null;
  /** The parent container's new ETag when its membership changed. */
  parentEtag: string | null;
  /** The representation before the change, for deltas (N822-8). */
  before?: Representation;
  /** The representation after the change, for deltas. */
  after?: Representation;
  /** A PATCH request's own patch document: sent as is when it is the delta type asked for. */
  patch?: Representation;
  /**
   * The process that wrote it (a followed log's `origin`): the event path waits for that
   * process's mark before announcing it (N822-3 across processes). Absent: this process.
   */
  origin?: string | null;
}

/** The negotiated notification format of a subscription. */
export interface NotificationFormat {
  /** The notification media type, e.g. `message/rfc822` (N822-1). */
  type: string;
  /** The delta media type asked for with `delta` (N822-8), if any. */
  delta?: string;
}

/** Bounds of the hub, each with a documented default (SEC-2). */
export interface HubOptions {
  /** Seconds after which a stream ends (RSP-7 `expires`). Default 3600. */
  expires?: number;
  /** An idle channel gets an empty digest part after this long. Default 30 000 ms. */
  keepAliveMs?: number;
  /** A subscriber with more unsent bytes than this is closed (it may resume). Default 1 MiB. */
  maxQueueBytes?: number;
  /**
   * A subscriber closed for being slow gets this long to read what is queued and the close
   * delimiters; then its connection is cut. Default 10 000 ms.
   */
  slowGraceMs?: number;
  /** Writes per turn of the event loop before a broadcast yields. Default 2000. */
  writesPerTurn?: number;
  /**
   * Bounds of delta computation (SEC-2): `maxInputBytes` and `maxCostMs` as in `createDelta`
   * (default `--max-delta-bytes`: 256 KiB, and 20 ms), and `maxTurnMs` (20 ms), the
   * time the deltas of one event-loop turn may take together; beyond it, notifications
   * go without a delta (N822-8 makes them optional).
   */
  deltaLimits?: { maxInputBytes?: number; maxCostMs?: number; maxTurnMs?: number };
  /** Clock, for tests. */
  now?: () => number;
}

/** node:net's default writableHighWaterMark. */
const SOCKET_HIGH_WATER_MARK = 16 * 1024;

const ROLE_SELF = 0;
const ROLE_MEMBER = 1;

/** Counters, read by benchmarks and a metrics endpoint. */
export interface HubStats {
  subscriptions: number;
  channels: number;
  /** Notification parts written to subscribers, summed over subscribers. */
  deliveries: number;
  /** Socket writes made for them (fewer than deliveries when parts were coalesced). */
  writes: number;
  /** Bytes written to streams (HTTP/1.1: with the chunk framing), keep-alives and closes included. */
  bytes: number;
  /** Subscribers closed for falling behind. */
  slowClosed: number;
  expired: number;
}

/**
 * A subscription: one open notifications response. Created by the engine, attached to a
 * channel, `pending` until the response head and part 1 are written, then `live`.
 */
export class Subscription {
  state: 'pending' | 'live' | 'closed' = 'pending';
  /** Events with seq <= afterSeq are already reflected in what this subscriber got. */
  afterSeq: number;
  readonly expiresAt: number;
  /** The boundary of this response's `multipart/mixed` body (per response, never shared). */
  readonly mixed: string;
  /** Parts that arrived while pending: [seq, raw part, closes the stream]. */
  pending: PendingPart[] | null = null;
  /**
   * The newest seq of the events read from the log for it while pending (`queueFor`): the
   * log held every event up to there, so once they are sent, a live copy of one of them
   * (its writer's response was still on its way) is a repeat.
   */
  replayedTo = 0;
  /** Called once when the subscription ends, whatever the reason. */
  onClose: ((reason: CloseReason) => void) | undefined;
  /**
   * SEC-1: which members this container subscriber may hear of; unset, all (and it keeps the
   * shared pre-framed writes). Asked only for member parts.
   */
  canSee: ((member: string) => boolean) | undefined = undefined;
  /** The broadcast that last reached it, and how many of its parts it got (each once). */
  job: BroadcastJob | undefined = undefined;
  sent = 0;

  constructor(
    readonly channel: Channel,
    readonly sink: StreamSink,
    init: { afterSeq: number; expiresAt: number; mixed: string },
  ) {
    this.afterSeq = init.afterSeq;
    this.expiresAt = init.expiresAt;
    this.mixed = init.mixed;
  }
}

/**
 * `member`: the member a container's part is about (N822-6), for `canSee`; else null.
 * `chunk`: the part as an HTTP/1.1 chunk, built on first use (`chunkOf`), once per part.
 */
type PendingPart = [
  seq: number,
  raw: Uint8Array,
  closes: boolean,
  member: string | null,
  chunk?: Buffer,
];

/** Why a subscription ended. */
export type CloseReason =
  | 'expired'
  | 'deleted'
  | 'slow'
  | 'client'
  | 'shutdown'
  | 'revoked'
  /** The application ended it (`StreamTarget.onOpen`'s `end`). */
  | 'ended';

/**
 * The subscribers of one resource in one negotiated format. Every notification is rendered
 * once per channel, never per subscriber; its bytes go to every subscriber as they are.
 */
export class Channel {
  readonly subscribers = new Set<Subscription>();
  /** The digest boundary, shared by the channel's streams so their parts are shared too. */
  readonly digest: string;
  lastSentAt: number;
  #keepAlive: [Uint8Array, Buffer] | undefined;
  /** The broadcast under way; parts that arrive meanwhile join it. */
  job: BroadcastJob | undefined = undefined;
  /** Parts waiting behind a broadcast that ends the streams (RSP-7), with their commit times: the next one. */
  round: Array<[PendingPart, number]> = [];

  constructor(
    readonly key: string,
    readonly path: string,
    readonly format: NotificationFormat,
    readonly isContainer: boolean,
    now: number,
    /**
     * Whether notifications carry the resource's ETag (N822-5). Not for streams whose part 1
     * is a page of a container listing: those tags are of the whole listing, not of the page.
     */
    readonly etags = true,
  ) {
    this.digest = createBoundary();
    this.lastSentAt = now;
  }

  keepAlive(): [Uint8Array, Buffer] {
    if (!this.#keepAlive) {
      const raw = encodeKeepAlive(this.digest);
      this.#keepAlive = [raw, frameChunk(raw)];
    }
    return this.#keepAlive;
  }
}

/**
 * The fan-out hub (DESIGN.md, "Fan-out: what makes it fast"):
 * - each event is rendered once per channel (resource × format × delta type);
 * - all parts a channel gets in one turn are coalesced into one write per subscriber, and
 *   parts that arrive while its broadcast runs join it for the subscribers not reached yet;
 * - every subscriber has a bounded queue; one that falls behind is closed cleanly;
 * - broadcast loops yield to the event loop every `writesPerTurn` writes;
 * - keep-alive is an empty digest part sent on one timer, reset by real traffic;
 * - expiry needs no timer per subscriber: streams expire in the order they opened.
 */
export class Hub {
  readonly #channels = new Map<string, Map<string, Channel>>();
  /** Broadcast passes to run, in order (a job comes back for another pass when it grew). */
  readonly #passes: Array<BroadcastJob | undefined> = [];
  #passHead = 0;
  #running = false;
  readonly #expiry: Subscription[] = [];
  #expiryHead = 0;
  /** Subscriptions closed since the last compaction: still in `#expiry` until then. */
  #expiryClosed = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Replayed parts by channel (`queueFor`), least recently used first. */
  readonly #replayed = new Map<Channel, Map<number, Uint8Array>>();
  #replayedBytes = 0;
  readonly #options: Required<Omit<HubOptions, 'deltaLimits'>> & {
    deltaLimits: { maxInputBytes: number; maxCostMs: number };
    maxDeltaTurnMs: number;
  };
  /** Time the deltas of this turn took (SEC-2), reset at the next turn. */
  #deltaTurnMs = 0;
  #deltaTurnReset = false;
  readonly stats: HubStats = {
    subscriptions: 0,
    channels: 0,
    deliveries: 0,
    writes: 0,
    bytes: 0,
    slowClosed: 0,
    expired: 0,
  };
  /**
   * Told, once per channel broadcast that reached every subscriber, how long ago its oldest
   * event was committed (ms): the commit-to-delivery latency, for metrics.
   */
  onDelivered: ((msSinceCommit: number) => void) | undefined = undefined;

  constructor(options: HubOptions = {}) {
    this.#options = {
      expires: options.expires ?? DEFAULTS.expires,
      keepAliveMs: options.keepAliveMs ?? DEFAULTS.keepAlive * 1000,
      maxQueueBytes: options.maxQueueBytes ?? DEFAULTS.maxQueueBytes,
      slowGraceMs: options.slowGraceMs ?? 10_000,
      writesPerTurn: options.writesPerTurn ?? 2000,
      now: options.now ?? Date.now,
      deltaLimits: {
        maxInputBytes: options.deltaLimits?.maxInputBytes ?? DEFAULTS.maxDeltaBytes,
        maxCostMs: options.deltaLimits?.maxCostMs ?? DELTA_TURN_MS,
      },
      maxDeltaTurnMs: options.deltaLimits?.maxTurnMs ?? DELTA_TURN_MS,
    };
  }

  /** Whether broadcasts are under way or scheduled (a drain waits for them). */
  get busy(): boolean {
    return this.#running;
  }

  /** Every open subscription (for a metrics scrape; not for the delivery path). */
  *subscriptions(): IterableIterator<Subscription> {
    for (const byFormat of this.#channels.values())
      for (const ch of byFormat.values()) yield* ch.subscribers;
  }

  /** Seconds a stream lives (the `expires` of `Events`, RSP-1). */
  get expires(): number {
    return this.#options.expires;
  }

  /** Subscribers of `path` (all formats): for per-resource limits. */
  subscriberCount(path: string): number {
    let n = 0;
    for (const ch of this.#channels.get(path)?.values() ?? []) n += ch.subscribers.size;
    return n;
  }

  /** The paths that have subscribers now (each once, whatever its formats). */
  subscribedPaths(): IterableIterator<string> {
    return this.#channels.keys();
  }

  /**
   * Whether a subscriber of `path` asked for deltas (N822-8): then a change to it is worth
   * its states before and after.
   */
  wantsDeltas(path: string): boolean {
    for (const ch of this.#channels.get(path)?.values() ?? [])
      if (ch.format.delta !== undefined) return true;
    return false;
  }

  /**
   * Attaches a new, pending subscription. Call before reading the base representation, so no
   * event can fall between the read and the subscription; events already in the base are
   * skipped by seq.
   */
  subscribe(init: {
    path: string;
    isContainer: boolean;
    format: NotificationFormat;
    sink: StreamSink;
    afterSeq: number;
    mixed: string;
    /** Part 1 is a part of the representation (a listing page): no ETags (see `Channel`). */
    partial?: boolean;
  }): Subscription {
    const now = this.#options.now();
    const partial = init.partial === true;
    const key = `${init.format.type}\0${init.format.delta ?? ''}${partial ? '\0partial' : ''}`;
    let byFormat = this.#channels.get(init.path);
    if (!byFormat) this.#channels.set(init.path, (byFormat = new Map<string, Channel>()));
    let channel = byFormat.get(key);
    if (!channel) {
      channel = new Channel(key, init.path, init.format, init.isContainer, now, !partial);
      byFormat.set(key, channel);
      this.stats.channels++;
    }
    const sub = new Subscription(channel, init.sink, {
      afterSeq: init.afterSeq,
      expiresAt: now + this.#options.expires * 1000,
      mixed: init.mixed,
    });
    channel.subscribers.add(sub);
    this.#expiry.push(sub);
    this.stats.subscriptions++;
    this.#startTimer();
    return sub;
  }

  /**
   * Queues events for one pending subscription only: the EXT-1 replay, or events committed
   * between reading its base and subscribing. Rendered in its channel's format.
   */
  queueFor(sub: Subscription, events: readonly HubEvent[]): void {
    if (sub.state !== 'pending') return;
    sub.pending ??= [];
    for (const e of events) {
      sub.replayedTo = Math.max(sub.replayedTo, e.seq);
      const role = e.path === sub.channel.path ? ROLE_SELF : ROLE_MEMBER;
      sub.pending.push([
        e.seq,
        this.#replayPart(sub.channel, e, role),
        closesStream(e, role),
        role === ROLE_MEMBER ? e.path : null,
      ]);
    }
  }

  /**
   * A replayed event rendered for a channel, once for all its subscribers that replay it
   * (SEC-2: a delta is costly); kept per channel, least recently used channel dropped first,
   * at most 16 × `maxQueueBytes` in all.
   */
  #replayPart(ch: Channel, e: HubEvent, role: number): Uint8Array {
    // With or without states, the same event renders differently (a delta or none).
    const key = e.seq * 2 + (e.before && e.after ? 1 : 0);
    let parts = this.#replayed.get(ch);
    const hit = parts?.get(key);
    if (parts) this.#replayed.delete(ch);
    else parts = new Map();
    this.#replayed.set(ch, parts);
    if (hit) return hit;
    const raw = this.#render(ch, e, role);
    parts.set(key, raw);
    this.#replayedBytes += raw.length;
    for (const [old, oldParts] of this.#replayed) {
      if (this.#replayedBytes <= 16 * this.#options.maxQueueBytes || old === ch) break;
      this.#forgetReplays(old, oldParts);
    }
    return raw;
  }

  #forgetReplays(ch: Channel, parts: Map<number, Uint8Array> | undefined): void {
    if (!parts) return;
    this.#replayed.delete(ch);
    for (const raw of parts.values()) this.#replayedBytes -= raw.length;
  }

  /** Frames raw bytes for a sink (pre-framed chunks for our own HTTP/1.1 framing). */
  frame(sink: StreamSink, raw: Uint8Array): Uint8Array {
    return sink.framing === 'chunked' ? frameChunk(raw) : raw;
  }

  /**
   * Marks a subscription live once its head is written. Parts that arrived meanwhile go out
   * now, in seq order, once each, except those already reflected in its base.
   */
  activate(sub: Subscription): void {
    if (sub.state !== 'pending') return;
    sub.state = 'live';
    const pending = sub.pending;
    sub.pending = null;
    if (!pending) return;
    // EXT-1 "none repeated": the replayed events now count as sent.
    const sentTo = Math.max(sub.afterSeq, sub.replayedTo);
    pending.sort((a, b) => a[0] - b[0]);
    let last = sub.afterSeq;
    let closing = false;
    const parts: PendingPart[] = [];
    for (const part of pending) {
      const [seq, , closes, member] = part;
      if (seq <= last || !visible(sub, member)) continue;
      last = seq;
      parts.push(part);
      if (closes) {
        closing = true;
        break;
      }
    }
    if (parts.length > 0) {
      this.stats.writes += this.#writeParts(sub.sink, parts);
      this.stats.deliveries += parts.length;
    }
    sub.afterSeq = sentTo;
    if (closing) this.close(sub, 'deleted');
  }

  /**
   * Writes whole parts to one sink; returns the number of writes. RSP-6: each part ends with
   * a delimiter, so each must end a chunk or frame. A chunked sink takes them as chunks in
   * one write; a raw sink gets one write per part, never a concatenation (its transport
   * frames each write on its own: HTTP/2 DATA frames, node:http chunks).
   */
  #writeParts(sink: StreamSink, parts: readonly PendingPart[]): number {
    if (sink.framing === 'chunked') {
      const chunks = chunksOf(parts);
      this.stats.bytes += chunks.length;
      sink.write(chunks);
      return 1;
    }
    for (const p of parts) {
      this.stats.bytes += p[1].length;
      sink.write(p[1]);
    }
    return parts.length;
  }

  /**
   * Renders committed events once per channel and queues them; they go out from the next
   * turn on, coalesced per channel: a channel's broadcast under way takes them along for the
   * subscribers it has not reached yet (the others get them in its next pass). `only` sends
   * them to the resources' own subscribers, or to their containers' (N822-6), alone.
   */
  publish(events: readonly HubEvent[], only?: 'self' | 'member'): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (only !== 'member') this.#collect(e.path, e, ROLE_SELF);
      if (e.parent !== null && only !== 'self') this.#collect(e.parent, e, ROLE_MEMBER);
    }
    this.#schedule();
  }

  /**
   * Ends a subscription: writes both close delimiters (RSP-7) and ends the response, or
   * just forgets it when the client is already gone (RSP-8).
   */
  close(sub: Subscription, reason: CloseReason): void {
    if (sub.state === 'closed') return;
    sub.state = 'closed';
    sub.pending = null;
    this.#detach(sub);
    if (!sub.sink.closed && reason !== 'client') {
      // RSP-6 here too: `--D` ended the last write; `-- CRLF --M` closes the digest and ends
      // a chunk, then `-- CRLF` closes the mixed body.
      const close = encodePrepClose(sub.mixed);
      const cut = 6 + sub.mixed.length;
      const last = close.subarray(cut);
      if (sub.sink.framing === 'chunked') {
        const framed = Buffer.concat([frameChunk(close.subarray(0, cut)), frameChunk(last)]);
        this.stats.bytes += framed.length;
        sub.sink.end(framed);
      } else {
        this.stats.bytes += close.length;
        sub.sink.write(close.subarray(0, cut));
        sub.sink.end(last);
      }
      if (reason === 'slow') {
        // Its buffer is full: end after what is queued, and cut it off if it never drains.
        this.stats.slowClosed++;
        const sink = sub.sink;
        // Only while this response is unfinished: once it is, the connection may already
        // carry the client's next request (its resume).
        setTimeout(() => {
          if (!sink.finished) sink.destroy();
        }, this.#options.slowGraceMs).unref();
      }
    }
    sub.onClose?.(reason);
  }

  /** Closes every subscription (graceful shutdown) and stops the timer. */
  closeAll(): void {
    for (const byFormat of [...this.#channels.values()])
      for (const ch of [...byFormat.values()])
        for (const sub of [...ch.subscribers]) this.close(sub, 'shutdown');
    this.#stopTimer();
  }

  /** Closes the subscriptions of one path (e.g. its read right was revoked). */
  closePath(path: string, reason: CloseReason): void {
    for (const ch of [...(this.#channels.get(path)?.values() ?? [])])
      for (const sub of [...ch.subscribers]) this.close(sub, reason);
  }

  #detach(sub: Subscription): void {
    const ch = sub.channel;
    if (!ch.subscribers.delete(sub)) return;
    this.stats.subscriptions--;
    if (ch.subscribers.size === 0) {
      const byFormat = this.#channels.get(ch.path);
      byFormat?.delete(ch.key);
      if (byFormat && byFormat.size === 0) this.#channels.delete(ch.path);
      this.stats.channels--;
      this.#forgetReplays(ch, this.#replayed.get(ch));
    }
    // A closed stream must not stay reachable (its socket, its response) from the expiry
    // queue until it would have expired: an hour of them is a leak.
    this.#expiryClosed++;
    if (this.stats.subscriptions === 0) {
      this.#expiry.length = 0;
      this.#expiryHead = 0;
      this.#expiryClosed = 0;
      this.#stopTimer();
    }
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    // One more turn before starting: writes of a burst that reached the socket just after
    // this one was read join the round (a poll without waiting; microseconds when idle).
    setImmediate(() => setImmediate(() => this.#round()));
  }

  /**
   * Runs the queued broadcast passes, yielding every `writesPerTurn` subscribers. A pass
   * takes every part its job holds when it reaches a subscriber; a job that grew during its
   * pass runs another one for the subscribers reached before (each gets only what it lacks).
   */
  #round(): void {
    let budget = this.#options.writesPerTurn;
    const maxQueue = this.#options.maxQueueBytes;
    const checkAlways = maxQueue < SOCKET_HIGH_WATER_MARK;
    const passes = this.#passes;
    while (this.#passHead < passes.length) {
      const job = passes[this.#passHead]!;
      if (!job.it) {
        job.it = job.ch.subscribers.values();
        job.ch.lastSentAt = this.#options.now();
      }
      for (;;) {
        if (budget-- <= 0) {
          setImmediate(() => this.#round());
          return;
        }
        const next = job.it.next();
        if (next.done) break;
        this.#deliver(job, next.value, maxQueue, checkAlways);
      }
      job.it = undefined;
      passes[this.#passHead++] = undefined;
      if (job.again) {
        job.again = false;
        passes.push(job);
      } else this.#finish(job);
      // Under steady traffic the list never drains: drop the consumed head now and then.
      if (this.#passHead > 1024 && this.#passHead * 2 > passes.length) {
        passes.splice(0, this.#passHead);
        this.#passHead = 0;
      }
    }
    passes.length = 0;
    this.#passHead = 0;
    this.#running = false;
  }

  #collect(path: string, e: HubEvent, role: number): void {
    const byFormat = this.#channels.get(path);
    if (!byFormat) return;
    for (const ch of byFormat.values())
      this.#enqueue(
        ch,
        [
          e.seq,
          this.#render(ch, e, role),
          closesStream(e, role),
          role === ROLE_MEMBER ? e.path : null,
        ],
        e.time,
      );
  }

  /** Adds a part (of an event committed at `time`) to the channel's broadcast, starting one if none is under way. */
  #enqueue(ch: Channel, part: PendingPart, time: number): void {
    const job = ch.job;
    if (!job) {
      ch.job = {
        ch,
        parts: [part],
        closes: part[2],
        it: undefined,
        again: false,
        from: new Map(),
        committedAt: time,
      };
      this.#passes.push(ch.job);
    } else if (job.closes) {
      // RSP-7: its streams end with that DELETE; later parts (the resource created again)
      // are for whoever subscribes after, in the next broadcast.
      ch.round.push([part, time]);
    } else {
      job.committedAt = Math.min(job.committedAt, time);
      job.parts.push(part);
      job.closes = part[2];
      // Subscribers this pass already reached need another pass for it.
      if (job.it) job.again = true;
    }
  }

  /** A channel's broadcast reached everyone: the parts waiting behind it start the next. */
  #finish(job: BroadcastJob): void {
    const ch = job.ch;
    ch.job = undefined;
    this.onDelivered?.(this.#options.now() - job.committedAt);
    // Subscribers still point at it (`sub.job`), but it never runs again: free its bytes.
    job.from.clear();
    job.parts = [];
    if (ch.round.length === 0) return;
    const waiting = ch.round;
    ch.round = [];
    for (const [part, time] of waiting) this.#enqueue(ch, part, time);
  }

  /** Sends one subscriber the parts of `job` it has not had yet. */
  #deliver(job: BroadcastJob, sub: Subscription, maxQueue: number, checkAlways: boolean): void {
    const len = job.parts.length;
    const from = sub.job === job ? sub.sent : 0;
    if (from >= len) return;
    sub.job = job;
    sub.sent = len;
    if (sub.state === 'pending') {
      sub.pending ??= [];
      for (let i = from; i < len; i++) sub.pending.push(job.parts[i]!);
      return;
    }
    if (sub.state !== 'live') return;
    const sink = sub.sink;
    if (sink.closed) {
      this.close(sub, 'client');
      return;
    }
    const tail = sub.canSee === undefined ? this.#tail(job, from) : undefined;
    // A part that ends the streams is always a job's last (nothing joins after it).
    let closes = job.closes;
    // socket.write() says false once its buffer passes the high-water mark (16 KiB): only
    // then can a subscriber be over a larger queue bound, so only then is it worth asking.
    let full = checkAlways;
    if (tail !== undefined && tail.minSeq > sub.afterSeq) {
      if (sink.framing === 'chunked') {
        full = !sink.write(tail.framed) || full;
        this.stats.writes++;
        this.stats.bytes += tail.framed.length;
      } else {
        this.stats.writes += this.#writeParts(sink, tail.parts);
        full = true;
      }
      this.stats.deliveries += tail.parts.length;
    } else {
      // Its base already reflects some of these events (their writers' responses were
      // still on their way when it read the representation): those are not news. Nor are
      // members it may not read (SEC-1).
      const fresh: PendingPart[] = [];
      closes = false;
      for (let i = from; i < len; i++) {
        const r = job.parts[i]!;
        if (r[0] <= sub.afterSeq || !visible(sub, r[3])) continue;
        fresh.push(r);
        closes ||= r[2];
      }
      if (fresh.length === 0) return;
      this.stats.writes += this.#writeParts(sink, fresh);
      this.stats.deliveries += fresh.length;
      full = true;
    }
    if (closes) this.close(sub, 'deleted');
    else if (full && sink.bufferedBytes > maxQueue) this.close(sub, 'slow');
  }

  /**
   * The parts of `job` from index `from` on, framed once for everyone who lacks just those.
   * RSP-6: each part is its own chunk, so every delimiter ends a chunk; several chunks still
   * leave in one socket write. Raw sinks get the parts one write each.
   */
  #tail(job: BroadcastJob, from: number): JobTail {
    const len = job.parts.length;
    let tail = job.from.get(from);
    if (tail?.len === len) return tail;
    const parts = job.parts.slice(from);
    let minSeq = Infinity;
    for (const r of parts) minSeq = Math.min(minSeq, r[0]);
    tail = { len, parts, framed: chunksOf(parts), minSeq };
    job.from.set(from, tail);
    return tail;
  }

  /** Renders one event for one channel: the notification message in a digest part. */
  #render(ch: Channel, e: HubEvent, role: number): Uint8Array {
    const n: Notification = { method: e.method, date: new Date(e.time), eventId: e.id };
    if (role === ROLE_SELF) {
      if (e.etag !== null && ch.etags) n.etag = e.etag; // N822-5
    } else {
      n.contentLocation = e.path; // N822-6: a member changed
      if (e.parentEtag !== null && ch.etags) n.etag = e.parentEtag;
    }
    const partHeaders: Array<[string, string]> =
      ch.format.type === 'message/rfc822' ? [] : [['Content-Type', ch.format.type]];
    if (role === ROLE_SELF && ch.format.delta && e.method !== 'DELETE') {
      const delta = this.#delta(ch.format.delta, e);
      if (delta) {
        try {
          return encodeDigestPart(ch.digest, partHeaders, serializeNotification({ ...n, delta }));
        } catch (err) {
          // A delta holding the channel's delimiter would corrupt every stream of the
          // channel: send the notification without it (the client re-fetches).
          if (!(err instanceof MultipartError)) throw err;
        }
      }
    }
    return encodeDigestPart(ch.digest, partHeaders, serializeNotification(n));
  }

  #delta(type: string, e: HubEvent): Representation | undefined {
    // N822-7: never a body when the state did not change (a PUT of the same bytes, a no-op
    // PATCH), although a diff of equal documents would be `{}`, `[]` or empty.
    if (e.before && e.after && sameBytes(e.before.body, e.after.body)) return undefined;
    // N822-8: a PATCH in the very type asked for is its own delta.
    if (e.patch && essence(e.patch.contentType) === type) return e.patch;
    if (!e.before || !e.after) return undefined;
    // SEC-2: one write's deltas for every channel are made in one turn; bound them together.
    // A small document's delta costs well under a millisecond: always made (deltas a client
    // can count on), so that a busy machine's slow turn never drops them.
    const small = e.before.body.length + e.after.body.length <= SMALL_DELTA_INPUT;
    if (!small && this.#deltaTurnMs >= this.#options.maxDeltaTurnMs) return undefined;
    if (!this.#deltaTurnReset) {
      this.#deltaTurnReset = true;
      setImmediate(() => {
        this.#deltaTurnMs = 0;
        this.#deltaTurnReset = false;
      });
    }
    const started = performance.now();
    try {
      return createDelta(type, e.before, e.after, this.#options.deltaLimits);
    } finally {
      this.#deltaTurnMs += performance.now() - started;
    }
  }

  #startTimer(): void {
    if (this.#timer) return;
    const every = Math.max(250, Math.min(1000, this.#options.keepAliveMs / 2));
    this.#timer = setInterval(() => this.#tick(), every);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Expiry (RSP-7) and keep-alive, for all subscribers, on one timer. */
  #tick(): void {
    const now = this.#options.now();
    const q = this.#expiry;
    while (this.#expiryHead < q.length && q[this.#expiryHead]!.expiresAt <= now) {
      const sub = q[this.#expiryHead]!;
      q[this.#expiryHead++] = undefined as unknown as Subscription;
      if (sub.state !== 'closed') {
        this.stats.expired++;
        this.close(sub, 'expired');
      }
    }
    // Drop the consumed head and closed subscriptions once it is worth the copy.
    const dead = this.#expiryHead + this.#expiryClosed;
    if (dead > 1024 && dead * 2 > q.length - this.#expiryHead) {
      const rest = q.slice(this.#expiryHead).filter((s) => s.state !== 'closed');
      q.length = 0;
      for (const sub of rest) q.push(sub);
      this.#expiryHead = 0;
      this.#expiryClosed = 0;
    }
    const idle = now - this.#options.keepAliveMs;
    for (const byFormat of this.#channels.values()) {
      for (const ch of byFormat.values()) {
        if (ch.lastSentAt > idle) continue;
        ch.lastSentAt = now;
        const [raw, framed] = ch.keepAlive();
        // Deleting the current entry of a Set (close) does not disturb its iteration.
        for (const sub of ch.subscribers) {
          if (sub.state !== 'live') continue;
          // RSP-8: a client gone unnoticed is forgotten here at the latest.
          if (sub.sink.closed) this.close(sub, 'client');
          else {
            const bytes = sub.sink.framing === 'chunked' ? framed : raw;
            this.stats.bytes += bytes.length;
            sub.sink.write(bytes);
          }
        }
      }
    }
  }
}

/** One channel's broadcast: its parts, which grow until the last subscriber is reached. */
interface BroadcastJob {
  ch: Channel;
  /** In the order published; a part that ends the streams (RSP-7) is the last one. */
  parts: PendingPart[];
  closes: boolean;
  /** The pass under way. */
  it: Iterator<Subscription> | undefined;
  /** Parts arrived during the pass: those it reached before need another. */
  again: boolean;
  /** Framed tails by start index: everyone reached at the same point shares one buffer. */
  from: Map<number, JobTail>;
  /** When its oldest event was committed (ms since the epoch). */
  committedAt: number;
}

/** The parts of a job from some index on, as one write. */
interface JobTail {
  /** The job's part count when it was built. */
  len: number;
  /** The parts, for raw sinks (one write each). */
  parts: PendingPart[];
  /** The parts as HTTP/1.1 chunks, for chunked sinks (one write). */
  framed: Buffer;
  /** The oldest event of these: subscribers whose base is older get them all. */
  minSeq: number;
}

/** A part as an HTTP/1.1 chunk, framed once however many subscribers get it. */
function chunkOf(part: PendingPart): Buffer {
  return (part[4] ??= frameChunk(part[1]));
}

/** Parts as consecutive HTTP/1.1 chunks, for one write (RSP-6: each part its own chunk). */
function chunksOf(parts: readonly PendingPart[]): Buffer {
  return parts.length === 1 ? chunkOf(parts[0]!) : Buffer.concat(parts.map(chunkOf));
}

/** SEC-1: whether a part may go to `sub` (only member parts are filtered, and only if asked). */
function visible(sub: Subscription, member: string | null): boolean {
  return member === null || sub.canSee === undefined || sub.canSee(member);
}

/** RSP-7: a DELETE of the resource itself ends its streams right after its notification. */
function closesStream(e: HubEvent, role: number): boolean {
  return role === ROLE_SELF && e.method === 'DELETE';
}

function essence(mediaType: string): string {
  const semi = mediaType.indexOf(';');
  return (semi < 0 ? mediaType : mediaType.slice(0, semi)).trim().toLowerCase();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
