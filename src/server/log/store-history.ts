import { applyDelta, type Representation } from '@prep-live/client/core';
import { canListen, type Store, type StoredEvent, type WriteResult } from '../../store/index.js';
import type { HubEvent } from '../engine/hub.js';
import type { ChangeLog } from './change-log.js';
import type { FollowedLog } from './follower.js';

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
  #suffix: string | undefined;

  constructor(store: Store) {
    this.#store = store;
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
  ): Promise<HubEvent[] | undefined> {
    // The log must still hold every event after `afterSeq`, or a replay would skip some.
    if ((await this.#store.oldestSeq()) > afterSeq + 1) return undefined;
    const query = isContainer ? { afterSeq, path, parent: path } : { afterSeq, path };
    const events = await this.#store.events(query);
    if (!withStates || isContainer || events.length === 0)
      return events.map((e) => this.toHubEvent(e));
    // Deltas need each event's before and after states: rebuild them forward from the
    // resource's events still held (a PUT or POST carries the full state, a PATCH its patch).
    const all = await this.#store.events({ path });
    const out: HubEvent[] = [];
    let state: Representation | undefined;
    let known = false;
    for (const e of all) {
      const before = state;
      const wasKnown = known;
      ({ state, known } = next(state, known, e));
      if (e.seq <= afterSeq) continue;
      const hub = this.toHubEvent(e);
      if (wasKnown && before && state) {
        hub.before = before;
        hub.after = state;
      }
      out.push(hub);
    }
    return out;
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
