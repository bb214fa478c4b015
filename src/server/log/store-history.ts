import type { Representation } from '@prep-live/client/core';
import { canListen, type Store, type StoredEvent, type WriteResult } from '../../store/index.js';
import { DEFAULTS } from '../settings.js';
import type { ReplayBudget } from '../engine/engine.js';
import type { HubEvent } from '../engine/hub.js';
import type { ChangeLog } from './change-log.js';
import type { FollowedLog } from './follower.js';
import { ReplayStates } from './replay-states.js';

/**
 * The engine's view of our durable event log (DESIGN.md: PREP streams are the live,
 * per-resource view of the log; `Last-Event-ID` resume is a read of it).
 *
 * Event-IDs are `<seq>.<store>`: opaque to clients (N822-4), unique per resource, and never
 * confused with another database's after a restore, because `<store>` is the database's own
 * random id.
 */
export class StoreHistory implements ChangeLog<WriteResult> {
  readonly #store: Store;
  readonly #states: ReplayStates;
  #suffix: string | undefined;

  /**
   * `replay`: what rebuilding states for the gap of a new stream may cost (beyond it those
   * events go without deltas); a `Last-Event-ID` replay passes its own budget. Default the
   * engine's (`{ maxEvents: DEFAULTS.replayMaxEvents, maxBytes: DEFAULTS.replayMaxBytes }`).
   */
  constructor(
    store: Store,
    replay: ReplayBudget = {
      maxEvents: DEFAULTS.replayMaxEvents,
      maxBytes: DEFAULTS.replayMaxBytes,
    },
  ) {
    this.#store = store;
    this.#states = new ReplayStates(store, replay, (e) => this.toHubEvent(e));
  }

  /** The store whose log this is. */
  get store(): Store {
    return this.#store;
  }

  /**
   * The log as the event path follows it, when other processes may write it too (SQLite,
   * PostgreSQL: stores that can `listen`); undefined for a store only this process holds.
   */
  followed(): FollowedLog | undefined {
    const store = this.#store;
    if (!canListen(store)) return undefined;
    return {
      get origin() {
        return store.origin;
      },
      lastSeq: () => store.lastSeq(),
      read: async (afterSeq, limit) =>
        (await store.events({ afterSeq, limit })).map((e) => this.toHubEvent(e)),
      listen: (listener) => store.listen(listener),
      publishMark: (seq) => store.publishMark(seq),
    };
  }

  /**
   * The events of one write, as `notify` and the event path announce them: with the
   * representations before and after (for deltas, N822-8) on the changed resource's own one.
   */
  eventsOf(result: WriteResult): HubEvent[] {
    if (!Array.isArray((result as Partial<WriteResult> | undefined)?.events))
      throw new TypeError(
        'StoreHistory takes the result of a store write: notify(await store.write(...))',
      );
    const events = result.events.map((e) => this.toHubEvent(e));
    const own = events.at(-1);
    if (own && !own.path.endsWith('/')) {
      if (result.before)
        own.before = { contentType: result.before.contentType, body: result.before.body };
      if (result.after)
        own.after = { contentType: result.after.contentType, body: result.after.body };
    }
    return events;
  }

  get #tag(): string {
    this.#suffix ??= `.${this.#store.storeId.replace(/-/g, '').slice(0, 10)}`;
    return this.#suffix;
  }

  /** The Event-ID of a stored event. */
  eventId(seq: number): string {
    return `${seq}${this.#tag}`;
  }

  seqOf(eventId: string): number | undefined {
    if (!eventId.endsWith(this.#tag)) return undefined;
    const digits = eventId.slice(0, -this.#tag.length);
    if (!/^[1-9][0-9]{0,15}$/.test(digits)) return undefined;
    return Number(digits);
  }

  lastSeq(): Promise<number> {
    return this.#store.lastSeq();
  }

  async latestEventId(path: string, isContainer: boolean): Promise<string | undefined> {
    const e = await this.#store.lastEvent(path, { members: isContainer });
    return e && this.eventId(e.seq);
  }

  async eventsAfter(
    path: string,
    isContainer: boolean,
    afterSeq: number,
    withStates: boolean,
    budget?: ReplayBudget,
  ): Promise<HubEvent[] | undefined> {
    // The log must still hold every event after `afterSeq`, or a replay would skip some.
    if ((await this.#store.oldestSeq()) > afterSeq + 1) return undefined;
    // Deltas need each event's before and after states (N822-8): rebuilt forward from the
    // resource's newest full state, within the budget, once for all who ask.
    if (withStates && !isContainer) return this.#states.after(path, afterSeq, budget);
    const query = isContainer ? { afterSeq, path, parent: path } : { afterSeq, path };
    if (!budget) return (await this.#store.events(query)).map((e) => this.toHubEvent(e));
    // A replay without states still has its bounds: the events, and the bytes read.
    const events = await this.#store.events({ ...query, limit: budget.maxEvents + 1 });
    if (events.length > budget.maxEvents) return undefined;
    let bytes = 0;
    for (const e of events) bytes += e.body?.length ?? 0;
    return bytes > budget.maxBytes ? undefined : events.map((e) => this.toHubEvent(e));
  }

  /** A store event as the hub fans it out. */
  toHubEvent(
    e: StoredEvent,
    states?: { before?: Representation; after?: Representation },
  ): HubEvent {
    const hub: HubEvent = {
      seq: e.seq,
      id: this.eventId(e.seq),
      origin: e.origin,
      time: e.time,
      method: e.method,
      path: e.path,
      parent: e.parent,
      etag: e.etag,
      parentEtag: e.parentEtag,
    };
    if (e.method === 'PATCH' && e.body && e.contentType)
      hub.patch = { contentType: e.contentType, body: e.body };
    if (states?.before) hub.before = states.before;
    if (states?.after) hub.after = states.after;
    return hub;
  }
}
