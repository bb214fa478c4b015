import type { Store } from '../../store/index.js';
import { DEFAULTS } from '../settings.js';

/** How much of the event log is kept for `Last-Event-ID` resume and the feeds (SEC-2). */
export interface HistoryBound {
  /** Events kept at most. Default 100 000. */
  maxEvents?: number;
  /** Age of the oldest event kept. Default 7 days. */
  maxAgeMs?: number;
  /** How often the bound is enforced. Default 60 000 ms. */
  pruneIntervalMs?: number;
}

/**
 * Enforces `bound` on `store`'s log on a timer, off the request path (a failed prune goes to
 * `onError` and is retried at the next tick). Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = pruneOnInterval(store, { maxEvents: 10_000 });
 * ```
 */
export function pruneOnInterval(
  store: Store,
  bound: HistoryBound = {},
  onError: (e: unknown) => void = () => undefined,
): () => void {
  const options = {
    maxEvents: bound.maxEvents ?? DEFAULTS.historyEvents,
    maxAgeMs: bound.maxAgeMs ?? DEFAULTS.historyDays * 24 * 3600_000,
  };
  const timer = setInterval(() => {
    store.prune(options).catch(onError);
  }, bound.pruneIntervalMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
