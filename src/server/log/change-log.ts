import type { EventHistory } from '../engine/engine.js';
import type { HubEvent } from '../engine/hub.js';

/**
 * An event history that also turns the changes an application reports into the events it
 * announces: `MemoryHistory` takes `ResourceChange`s (and assigns their seqs), `StoreHistory`
 * takes the `WriteResult`s of our store (whose seqs the store assigned). `createPrep`'s
 * `notify(change)` takes whatever its history takes.
 *
 * @example
 * ```ts
 * const history: ChangeLog<ResourceChange> = new MemoryHistory();
 * const events = history.eventsOf({ method: 'PUT', path: '/a', etag: '"1"' });
 * ```
 */
export interface ChangeLog<C> extends EventHistory {
  /** The events of one change, in seq order (a throw when it cannot be a notification). */
  eventsOf(change: C): HubEvent[];
}
