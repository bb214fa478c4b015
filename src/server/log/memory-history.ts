import { randomBytes } from 'node:crypto';
import type { ChangeLog } from './change-log.js';
import type { ReplayBudget } from '../engine/engine.js';
import type { HubEvent } from '../engine/hub.js';
import { checkChange, toRepresentation, type ResourceChange } from './change.js';

/** Bounds of a {@link MemoryHistory} (SEC-2: every buffer is bounded). */
export interface MemoryHistoryOptions {
  /** Events held, over all resources; the oldest go first. Default 10 000. */
  maxEvents?: number;
  /**
   * Bytes of representations (before, after, patch) held for delta replays, over all
   * events; beyond it the oldest events go. Default 32 MiB.
   */
  maxBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The events that reach one path's subscribers, oldest first. */
interface Ring {
  events: HubEvent[];
  /** Every event after this seq that reaches the path is in `events`. */
  floor: number;
}

/** Per event, besides its representations: what a `HubEvent` and its ring slots cost. */
const EVENT_OVERHEAD = 256;

/**
 * The event history of an application that keeps its own data (`createPrep`'s default): a
 * bounded ring of recent events in memory, enough for `Last-Event-ID` (RSP-5) and for
 * resuming with deltas (EXT-1) while the events are held. Nothing survives a restart: an
 * Event-ID from before one is foreign (it carries a random per-instance tag), so such a
 * client gets the full representation again (RSP-5), never a wrong replay.
 *
 * Event-IDs are `<seq>.<tag>`: opaque to clients (N822-4), unique per resource.
 *
 * @example
 * ```ts
 * const history = new MemoryHistory({ maxEvents: 1000 });
 * const prep = createPrep({ history });
 * ```
 */
export class MemoryHistory implements ChangeLog<ResourceChange> {
  readonly #tag = `.m${randomBytes(5).toString('hex')}`;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #seq = 0;
  /** Every event held, in seq order from `#head`. */
  readonly #fifo: HubEvent[] = [];
  #head = 0;
  #bytes = 0;
  readonly #rings = new Map<string, Ring>();
  /** The newest event dropped from a ring that is gone: the floor of a path without a ring. */
  #floor = 0;

  constructor(options: MemoryHistoryOptions = {}) {
    this.#maxEvents = Math.max(1, options.maxEvents ?? 10_000);
    this.#maxBytes = Math.max(0, options.maxBytes ?? 32 * 1024 * 1024);
    this.#now = options.now ?? Date.now;
  }

  /** Events held now. */
  get size(): number {
    return this.#fifo.length - this.#head;
  }

  /** The Event-ID of a seq. */
  eventId(seq: number): string {
    return `${seq}${this.#tag}`;
  }

  seqOf(eventId: string): number | undefined {
    if (!eventId.endsWith(this.#tag)) return undefined;
    const digits = eventId.slice(0, -this.#tag.length);
    if (!/^[1-9][0-9]{0,15}$/.test(digits)) return undefined;
    const seq = Number(digits);
    return seq <= this.#seq ? seq : undefined;
  }

  lastSeq(): Promise<number> {
    return Promise.resolve(this.#seq);
  }

  latestEventId(path: string, _isContainer?: boolean): Promise<string | undefined> {
    return Promise.resolve(this.#rings.get(path)?.events.at(-1)?.id);
  }

  /**
   * The held events that reach `path`'s subscribers (its own, and those naming it as the
   * container of the changed resource) after `afterSeq`, with their representations;
   * undefined when some may be gone. Containers need no flag here: an event lists its
   * container itself.
   */
  eventsAfter(
    path: string,
    _isContainer: boolean,
    afterSeq: number,
    _withStates?: boolean,
    budget?: ReplayBudget,
  ): Promise<HubEvent[] | undefined> {
    const ring = this.#rings.get(path);
    const floor = ring?.floor ?? this.#floor;
    if (afterSeq < floor) return Promise.resolve(undefined);
    if (!ring) return Promise.resolve([]);
    let i = ring.events.length;
    while (i > 0 && ring.events[i - 1]!.seq > afterSeq) i--;
    const events = ring.events.slice(i);
    // SEC-2: the states are held already; what costs is making the deltas from them.
    if (budget) {
      let bytes = 0;
      for (const e of events) bytes += (e.before?.body.length ?? 0) + (e.after?.body.length ?? 0);
      if (events.length > budget.maxEvents || bytes > budget.maxBytes)
        return Promise.resolve(undefined);
    }
    return Promise.resolve(events);
  }

  /** The event of one change (`record`), as `notify` announces it. */
  eventsOf(change: ResourceChange): HubEvent[] {
    return [this.record(change)];
  }

  /**
   * Records a change: assigns its seq (commit order) and Event-ID and holds it. Throws when
   * the change cannot be sent as a notification (see `checkChange`).
   */
  record(change: ResourceChange): HubEvent {
    checkChange(change);
    const seq = ++this.#seq;
    const member = change.contentLocation;
    const e: HubEvent = {
      seq,
      id: this.eventId(seq),
      time: change.time ?? this.#now(),
      method: change.method,
      // The changed resource, and the container told of it (N822-6).
      path: member ?? change.path,
      parent: member !== undefined ? change.path : null,
      etag: member !== undefined ? null : (change.etag ?? null),
      parentEtag: member !== undefined ? (change.etag ?? null) : null,
    };
    if (change.before) e.before = toRepresentation(change.before);
    if (change.after) e.after = toRepresentation(change.after);
    if (change.patch) e.patch = toRepresentation(change.patch);
    this.#fifo.push(e);
    this.#bytes += sizeOf(e);
    for (const key of keysOf(e)) {
      let ring = this.#rings.get(key);
      if (!ring) this.#rings.set(key, (ring = { events: [], floor: this.#floor }));
      ring.events.push(e);
    }
    this.#trim();
    return e;
  }

  /** Drops the oldest events while over a bound. */
  #trim(): void {
    while (this.size > this.#maxEvents || (this.#bytes > this.#maxBytes && this.size > 0)) {
      const e = this.#fifo[this.#head]!;
      this.#fifo[this.#head++] = undefined as unknown as HubEvent;
      this.#bytes -= sizeOf(e);
      for (const key of keysOf(e)) {
        const ring = this.#rings.get(key);
        if (!ring) continue;
        // The oldest event held is the oldest of each of its rings.
        if (ring.events[0] === e) ring.events.shift();
        ring.floor = Math.max(ring.floor, e.seq);
        if (ring.events.length === 0) {
          this.#rings.delete(key);
          this.#floor = Math.max(this.#floor, ring.floor);
        }
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** The paths whose subscribers an event reaches: its own, and its container's. */
function keysOf(e: HubEvent): string[] {
  return e.parent !== null && e.parent !== e.path ? [e.path, e.parent] : [e.path];
}

function sizeOf(e: HubEvent): number {
  return (
    EVENT_OVERHEAD +
    (e.before?.body.length ?? 0) +
    (e.after?.body.length ?? 0) +
    (e.patch?.body.length ?? 0)
  );
}
