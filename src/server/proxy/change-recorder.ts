import { createDelta, type Representation } from '@prep-live/client/core';
import type { EventMethod, Store, WriteResult } from '../../store/index.js';
import type { Hub, HubEvent } from '../engine/hub.js';
import type { EventPath } from '../log/event-path.js';
import type { WriterResponse } from '../log/response-gate.js';
import type { StoreHistory } from '../log/store-history.js';
import type { PathRules } from './path-rules.js';
import { sameState, stateOf, type KnownState, type StateCache } from './state-cache.js';
import type { Upstream } from './upstream.js';

/** A change of an upstream resource, as the proxy saw it. */
export interface ObservedChange {
  /** N822-4: the triggering method. */
  method: EventMethod;
  /** The request target's path (for a POST, the collection it was sent to). */
  path: string;
  /** The status the upstream answered the change with. */
  status: number;
  /** N822-6: for a POST, the member it created (its `Location`), as a proxy path. */
  created?: string;
  /** The entity tag the upstream's answer gave the changed resource, if any (N822-5). */
  etag?: string;
  /** Fields to read the changed resource with (the writer's credentials). */
  credentials?: ReadonlyArray<readonly [string, string]>;
  /** The new state, when the observer has read it already (a poll). */
  after?: KnownState;
}

/** Options of {@link ChangeRecorder}. */
export interface ChangeRecorderOptions {
  store: Store;
  history: StoreHistory;
  events: EventPath;
  hub: Hub;
  upstream: Upstream;
  rules: PathRules;
  cache: StateCache;
  /** Largest representation read after a change. */
  maxStateBytes: number;
  /**
   * Read every changed resource after the change (one GET), so that every event holds its new
   * state (WES feed entries, deltas on resume). Default: only when the upstream's answer has
   * no ETag or a subscriber asked for deltas.
   */
  readAfterWrite?: boolean;
  /** Changes that could not be recorded (the store or the upstream failed). */
  onError?: (error: unknown, change: ObservedChange) => void;
}

/** What the proxy has recorded, for logs and benchmarks. */
export interface RecorderStats {
  /** Events appended to the log. */
  recorded: number;
  /** GETs made after a change (its new state or ETag, its collection's ETag). */
  followUps: number;
  /** Changes that could not be recorded. */
  failed: number;
}

/**
 * Turns the changes the proxy sees (writes that passed through, polls, the webhook) into
 * events of our log (`RecordChange`: the upstream keeps the state) and announces them on the
 * event path, after the writer's response (N822-3), in the order the upstream answered them
 * per resource:
 *
 * - on the resource (for a POST, the created member, N822-6), with its new ETag: the one the
 *   upstream's answer carried, or one follow-up GET's (N822-5);
 * - on its collection (`PathRules.parentOf`), whose subscribers get `Content-Location`, and
 *   the collection's new ETag when it has subscribers (one GET of it);
 * - with the states before (the last one the proxy read) and after, for deltas (N822-8).
 *
 * @example
 * ```ts
 * await recorder.record({ method: 'PATCH', path: '/posts/1', status: 200, etag: 'W/"2"' }, res);
 * ```
 */
export class ChangeRecorder {
  readonly stats: RecorderStats = { recorded: 0, followUps: 0, failed: 0 };
  readonly #o: ChangeRecorderOptions;
  /** The recording under way per resource: the next one waits for it (commit order). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: ChangeRecorderOptions) {
    this.#o = options;
  }

  /**
   * Records and announces `change` once `ready` resolves (the upstream's answer was read
   * whole) and, for subscribers, once `res` has been sent (N822-3). Call it in the order the
   * upstream answered. Resolves with the events, or none when nothing watched is concerned or
   * the change could not be recorded (`onError`). Never rejects.
   */
  record(
    change: ObservedChange,
    res?: WriterResponse,
    ready: Promise<unknown> = Promise.resolve(),
  ): Promise<HubEvent[]> {
    const { rules, cache } = this.#o;
    const target = change.created ?? change.path;
    const parent = change.created !== undefined ? change.path : rules.parentOf(target);
    if (!rules.watches(target) && !(parent !== null && rules.watches(parent)))
      return Promise.resolve([]);
    // Reads of them under way may answer the state before this change.
    cache.written(target);
    if (parent !== null) cache.written(parent);
    return this.#enqueue(target, change, async () => {
      await ready;
      return this.#record(change, target, parent, res);
    });
  }

  /**
   * A state of `path` the proxy happened to read (a subscription's base, a poll, a plain GET
   * passing through), by a read sent at `stamp` (`StateCache.stamp`); `gone` for a 404 or
   * 410. Unless a write seen since makes it stale, it becomes the state kept, and when it
   * differs from the one kept before (or, with none kept, from what the log last said), it is
   * a change made around the proxy: recorded as a PUT (or a DELETE), with a delta from the
   * state before. Every state a client could see through the proxy is told so (N822-5): a
   * client that re-fetched it waits for the notification with its ETag.
   */
  observe(path: string, found: KnownState | 'gone', stamp: number): Promise<HubEvent[]> {
    if (!this.#o.rules.watches(path)) return Promise.resolve([]);
    const change: ObservedChange =
      found === 'gone'
        ? { method: 'DELETE', path, status: 404 }
        : { method: 'PUT', path, status: 200, after: found };
    return this.#enqueue(path, change, async () => {
      const { cache, store, rules } = this.#o;
      // A write seen since the read was sent is recorded with what it read itself.
      if (cache.changedSince(path, stamp)) return [];
      const known = cache.get(path);
      const last = known ? undefined : await store.lastEvent(path);
      if (found === 'gone') {
        cache.delete(path);
        const existed = known !== undefined || (last !== undefined && last.method !== 'DELETE');
        if (!existed) return [];
      } else {
        const news = known
          ? !sameState(known, found)
          : last !== undefined &&
            (last.method === 'DELETE' ||
              (last.etag !== null && found.etag !== null && last.etag !== found.etag));
        if (!news) {
          // The same state: keep its bytes if this look did not have them (content-coded).
          const bytes = found.representation ?? known?.representation;
          cache.set(path, bytes ? { ...found, representation: bytes } : found);
          return [];
        }
      }
      cache.written(path);
      return this.#record(change, path, rules.parentOf(path), undefined);
    });
  }

  /** Runs `work` after the recordings of `target` queued before it (commit order). */
  #enqueue(
    target: string,
    change: ObservedChange,
    work: () => Promise<HubEvent[]>,
  ): Promise<HubEvent[]> {
    const previous = this.#queues.get(target) ?? Promise.resolve();
    const run = previous.then(work).catch((e: unknown) => {
      this.stats.failed++;
      this.#o.onError?.(e, change);
      return [] as HubEvent[];
    });
    this.#queues.set(target, run);
    void run.then(() => {
      if (this.#queues.get(target) === run) this.#queues.delete(target);
    });
    return run;
  }

  /** Resolves once every recording under way is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  async #record(
    change: ObservedChange,
    target: string,
    parent: string | null,
    res: WriterResponse | undefined,
  ): Promise<HubEvent[]> {
    const { cache, store, history, events } = this.#o;
    const before = cache.get(target)?.representation;
    const after = await this.#stateAfter(change, target, before);
    const parentEtag = parent === null ? null : await this.#collectionEtag(parent, change);
    const method = change.method;
    const body = logBody(method, before, after?.representation);
    const result = await events.write(
      res,
      () =>
        store.write({
          path: target,
          apply: () => ({
            op: 'record',
            path: target,
            parent,
            etag: method === 'DELETE' ? null : (after?.etag ?? null),
            parentEtag,
            event: { method, status: change.status, ...body },
          }),
        }),
      (written: WriteResult) => {
        const out = history.eventsOf(written);
        const own = out.at(-1);
        const now = after?.representation;
        if (own && before && now) {
          own.before = before;
          own.after = now;
        }
        return out;
      },
    );
    this.stats.recorded += result.events.length;
    return result.events.map((e) => history.toHubEvent(e));
  }

  /**
   * The changed resource's new state as far as it is worth knowing: none after a DELETE; the
   * observer's; or its ETag from the upstream's answer, read with one GET when that has none,
   * when deltas are wanted (a subscriber asked, and the state before is known), or always
   * (`readAfterWrite`). The event's ETag is the answer's when it has one: the state this
   * change made, not a later one the GET may find (a client that re-fetched the later state
   * waits for the notification with that ETag, N822-5). What is known afterwards replaces
   * what the cache held.
   */
  async #stateAfter(
    change: ObservedChange,
    target: string,
    before: Representation | undefined,
  ): Promise<KnownState | undefined> {
    const { cache, hub } = this.#o;
    if (change.method === 'DELETE') {
      cache.delete(target);
      return undefined;
    }
    if (change.after) {
      cache.set(target, change.after);
      return change.after;
    }
    // A POST's own ETag is the created member's, when it named one.
    const etag = change.method === 'POST' && change.created === undefined ? undefined : change.etag;
    const worthReading =
      etag === undefined ||
      this.#o.readAfterWrite === true ||
      (before !== undefined && hub.wantsDeltas(target));
    if (!worthReading) {
      // Its representation is no longer the one kept; its validator is the new one.
      const known: KnownState = { etag, lastModified: null };
      cache.set(target, known);
      return known;
    }
    const fallback = etag === undefined ? undefined : { etag, lastModified: null };
    const read = await this.#followUp(target, change);
    if (!read) {
      // The change is told all the same, with what the upstream's answer said.
      cache.delete(target);
      return fallback;
    }
    if (fallback && read.known.etag !== etag) {
      // The read found a later state than this change made (another change came between):
      // this event keeps the answer's ETag, and the later state is news for the next look.
      cache.setIfCurrent(target, fallback, read.stamp);
      return fallback;
    }
    cache.setIfCurrent(target, read.known, read.stamp);
    return read.known;
  }

  /**
   * The collection's new ETag for its subscribers (N822-5 on the member part), read with one
   * GET when it has any; otherwise null, and the state kept of it is stale now.
   */
  async #collectionEtag(parent: string, change: ObservedChange): Promise<string | null> {
    const { cache, hub } = this.#o;
    if (hub.subscriberCount(parent) === 0) {
      cache.delete(parent);
      return null;
    }
    const read = await this.#followUp(parent, change);
    if (!read) {
      // The member's change is told all the same, without the collection's ETag.
      cache.delete(parent);
      return null;
    }
    cache.setIfCurrent(parent, read.known, read.stamp);
    return read.known.etag;
  }

  /**
   * One GET after a change, with the writer's credentials: what it found (a 200) and the
   * stamp it was sent at; undefined for another status or no answer.
   */
  async #followUp(
    path: string,
    change: ObservedChange,
  ): Promise<{ known: KnownState; stamp: number } | undefined> {
    this.stats.followUps++;
    const stamp = this.#o.cache.stamp();
    try {
      const r = await this.#o.upstream.read(path, change.credentials ?? [], this.#o.maxStateBytes);
      r.overflow?.rest.destroy();
      return r.status === 200 ? { known: stateOf(r), stamp } : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * What an event records as its body (WES-3): the new state for PUT and POST, for a PATCH a
 * JSON merge patch from the state before to the one after (when both are known and it can
 * express the change), nothing for DELETE or when the state is not known.
 */
function logBody(
  method: EventMethod,
  before: Representation | undefined,
  after: Representation | undefined,
): { body?: Uint8Array; bodyType?: string } {
  if (!after || method === 'DELETE') return {};
  if (method !== 'PATCH') return { body: after.body, bodyType: after.contentType };
  if (!before) return {};
  const patch = createDelta('application/merge-patch+json', before, after);
  return patch ? { body: patch.body, bodyType: patch.contentType } : {};
}
