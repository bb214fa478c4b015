import { applyDelta, type Representation } from '@prep-live/client/core';
import type { Store, StoredEvent } from '../../store/index.js';
import type { ReplayBudget } from '../engine/engine.js';
import type { HubEvent } from '../engine/hub.js';
import { TurnBudget } from '../engine/turn-budget.js';

/**
 * One resource's events from a full state on, each with the representations before and after
 * it where they could be rebuilt: what a delta replay needs (N822-8, EXT-1).
 */
interface Chain {
  /** The events start after this seq: just before a full state (or 0: the log's start). */
  readonly from: number;
  /** The newest seq read. */
  last: number;
  readonly events: HubEvent[];
  /** The state after `last`, and whether it is known (the chain may start mid-history). */
  state: Representation | undefined;
  known: boolean;
  /** Bytes of states rebuilt so far along `events` (the replay budget counts them). */
  rebuiltBytes: number;
  /** The rebuild stopped: it would read or handle more than a budget allows. */
  stopped: boolean;
  /** Bytes held (states and patches), for the cache bound. */
  bytes: number;
}

/** A path's chain extensions: they run one at a time; `next` has not started yet. */
interface Run {
  /** Settles when the last extension asked for has ended. */
  tail: Promise<void>;
  next: Waiting | undefined;
}

/** An extension not started yet, shared by every call that arrives before it starts. */
interface Waiting {
  /** The lowest `afterSeq` asked for: the chain it extends must start at or before it. */
  from: number;
  promise: Promise<Chain>;
}

/** Events read from the log per page while extending a chain. */
const PAGE = 32;

/**
 * Rebuilds a resource's states for delta replays (`Last-Event-ID` with deltas, and the gap
 * between reading a representation and subscribing), bounded and shared (SEC-2):
 *
 * - the rebuild starts at the newest full state at or before the replay's start (a PUT or
 *   POST: `Store.lastStateEvent`), never at the resource's first event;
 * - it stops once it has read `budget.maxEvents` events or handled `budget.maxBytes` bytes of
 *   representation (each patch counts the state it is applied to, each replayed event the
 *   two states a delta is made from): a replay over that gets `undefined`, so the client gets
 *   the current representation instead (RSP-5);
 * - it yields to the event loop every few milliseconds;
 * - it is done once per resource: concurrent and later replays of it reuse and extend the
 *   same chain (a few are kept, within a byte bound, least recently used dropped).
 *
 * @example
 * ```ts
 * const states = new ReplayStates(store, { maxEvents: 1000, maxBytes: 16 << 20 });
 * const events = await states.after('/doc', 41, { maxEvents: 1000, maxBytes: 16 << 20 });
 * ```
 */
export class ReplayStates {
  readonly #store: Store;
  readonly #defaults: ReplayBudget;
  readonly #toHubEvent: (e: StoredEvent) => HubEvent;
  /** Chains by path, least recently used first. */
  readonly #chains = new Map<string, Chain>();
  /** Each path's chain extensions. */
  readonly #runs = new Map<string, Run>();

  constructor(store: Store, defaults: ReplayBudget, toHubEvent: (e: StoredEvent) => HubEvent) {
    this.#store = store;
    this.#defaults = defaults;
    this.#toHubEvent = toHubEvent;
  }

  /**
   * `path`'s events after `afterSeq` (the log holds them: the caller checked), with their
   * states. With `budget` (a `Last-Event-ID` replay): undefined when they cost more than it
   * allows. Without (the gap of a new stream): every event, states only as far as the
   * history's own budget reaches.
   */
  async after(
    path: string,
    afterSeq: number,
    budget?: ReplayBudget,
  ): Promise<HubEvent[] | undefined> {
    const limit = budget ?? this.#defaults;
    const chain = await this.#extended(path, afterSeq, limit);
    const at = firstAfter(chain.events, afterSeq);
    const fits =
      !chain.stopped &&
      chain.events.length <= limit.maxEvents &&
      this.#cost(chain, at) <= limit.maxBytes;
    if (fits) return chain.events.slice(at);
    if (budget) return undefined;
    // The gap of a new stream: every event goes out, without the states it could not have.
    return (await this.#store.events({ path, afterSeq })).map((e) => this.#toHubEvent(e));
  }

  /** Bytes handled by a replay from index `at`: the rebuild up to the end, and its deltas. */
  #cost(chain: Chain, at: number): number {
    let cost = chain.rebuiltBytes;
    for (let i = at; i < chain.events.length; i++) {
      const e = chain.events[i]!;
      cost += (e.before?.body.length ?? 0) + (e.after?.body.length ?? 0);
    }
    return cost;
  }

  /**
   * A chain of `path` that starts at or before `afterSeq` and reaches the log's end as it
   * was when this was called (or later). One extension per path runs at a time; calls that
   * arrive meanwhile share the next one, which starts once it ends (the running one may have
   * read the log before their events were committed).
   */
  #extended(path: string, afterSeq: number, budget: ReplayBudget): Promise<Chain> {
    let run = this.#runs.get(path);
    if (!run) {
      run = { tail: Promise.resolve(), next: undefined };
      this.#runs.set(path, run);
    }
    const waiting = run.next;
    if (waiting) {
      waiting.from = Math.min(waiting.from, afterSeq);
      return waiting.promise;
    }
    const entry = run;
    const next: Waiting = { from: afterSeq, promise: Promise.resolve(undefined as never) };
    next.promise = entry.tail.then(() => {
      // Started: later calls wait for the one after this.
      if (entry.next === next) entry.next = undefined;
      return this.#extend(path, next.from, budget);
    });
    entry.next = next;
    const tail = next.promise.then(
      () => undefined,
      () => undefined,
    );
    entry.tail = tail;
    void tail.then(() => {
      if (this.#runs.get(path) === entry && entry.tail === tail) this.#runs.delete(path);
    });
    return next.promise;
  }

  /** Extends the kept chain of `path`, or a new one starting at or before `afterSeq`. */
  async #extend(path: string, afterSeq: number, budget: ReplayBudget): Promise<Chain> {
    let chain = this.#chains.get(path);
    if (!chain || chain.from > afterSeq) {
      const start = await this.#store.lastStateEvent?.(path, afterSeq);
      const from = start ? start.seq - 1 : 0;
      chain = {
        from,
        last: from,
        events: [],
        state: undefined,
        known: false,
        rebuiltBytes: 0,
        stopped: false,
        bytes: 0,
      };
    }
    return this.#read(path, chain, budget);
  }

  /**
   * Reads the events after the chain's end and rebuilds their states, within `budget`; past
   * it the chain is marked `stopped` and not kept (a replay that needs it is refused).
   */
  async #read(path: string, chain: Chain, budget: ReplayBudget): Promise<Chain> {
    const turn = new TurnBudget();
    for (;;) {
      const page = await this.#store.events({ path, afterSeq: chain.last, limit: PAGE });
      for (const stored of page) {
        if (chain.events.length >= budget.maxEvents || chain.rebuiltBytes > budget.maxBytes) {
          chain.stopped = true;
          this.#forget(path, chain);
          return chain;
        }
        if (turn.due) await turn.next();
        const e = this.#toHubEvent(stored);
        const before = chain.state;
        const wasKnown = chain.known;
        const patch = stored.method === 'PATCH' ? (stored.body?.length ?? 0) : 0;
        ({ state: chain.state, known: chain.known } = next(chain.state, chain.known, stored));
        if (wasKnown && before && chain.state) {
          e.before = before;
          e.after = chain.state;
        }
        if (chain.state && chain.state !== before) chain.bytes += chain.state.body.length;
        chain.bytes += patch;
        chain.last = stored.seq;
        chain.events.push(e);
        // A patch handles the state it is applied to, and itself.
        chain.rebuiltBytes += patch > 0 ? (before?.body.length ?? 0) + patch : 0;
      }
      if (page.length < PAGE) break;
    }
    this.#keep(path, chain);
    return chain;
  }

  #forget(path: string, chain: Chain): void {
    if (this.#chains.get(path) === chain) this.#chains.delete(path);
  }

  /** Keeps `chain` for later replays, within twice the default byte budget in all. */
  #keep(path: string, chain: Chain): void {
    this.#chains.delete(path);
    this.#chains.set(path, chain);
    let bytes = 0;
    for (const c of this.#chains.values()) bytes += c.bytes;
    for (const [p, c] of this.#chains) {
      if (bytes <= 2 * this.#defaults.maxBytes) break;
      this.#chains.delete(p);
      bytes -= c.bytes;
    }
  }
}

/** The index of the first event with a seq above `seq`. */
function firstAfter(events: readonly HubEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One step of rebuilding a resource's states from its events. */
function next(
  state: Representation | undefined,
  known: boolean,
  e: StoredEvent,
): { state: Representation | undefined; known: boolean } {
  switch (e.method) {
    case 'PUT':
    case 'POST':
      return e.body && e.contentType
        ? { state: { contentType: e.contentType, body: e.body }, known: true }
        : { state: undefined, known: false };
    case 'DELETE':
      return { state: undefined, known: true };
    case 'PATCH':
      if (!known || !state || !e.body || !e.contentType) return { state: undefined, known: false };
      try {
        return {
          state: {
            contentType: state.contentType,
            body: applyDelta(e.contentType, state.body, e.body),
          },
          known: true,
        };
      } catch {
        return { state: undefined, known: false };
      }
  }
}
