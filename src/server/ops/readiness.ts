import type { EventHistory } from '../engine/engine.js';
import type { EventPath } from '../log/event-path.js';

/** What `/readyz` says, and why. */
export interface Readiness {
  ready: boolean;
  /** `ok`, or why the store did not answer. */
  store: string;
  /** Events of the shared log not read yet, and the oldest one's age; null when not followed. */
  follower: { events: number; seconds: number } | null;
  draining: boolean;
}

/** Options of {@link checkReadiness}. */
export interface ReadinessSources {
  /** The event path: its follower's lag (a read of the store). */
  events: EventPath;
  /** The log, asked when nothing is followed (a read of the store). */
  history: EventHistory;
  /** Whether the process drains. */
  draining: () => boolean;
  /** The follower is caught up while its oldest unread event is younger than this. Default 10 s. */
  maxLagSeconds?: number;
  /** The store must answer within this. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * Whether this process should get traffic (`/readyz`): the store answers (a read of the log's
 * position), the follower has caught up with the shared log (its oldest unread event is
 * younger than `maxLagSeconds`: a follower that keeps up always is; the 5 s poll is the
 * slowest it wakes), and it is not draining.
 *
 * @example
 * ```ts
 * const r = await checkReadiness({ events: app.events, history: app.history, draining: () => false });
 * r.ready; // true
 * ```
 */
export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const draining = sources.draining();
  let store = 'ok';
  let follower: Readiness['follower'] = null;
  try {
    follower = await withTimeout(
      sources.events.following
        ? sources.events.lag().then((lag) => lag ?? { events: NaN, seconds: NaN })
        : sources.history.lastSeq().then(() => null),
      sources.timeoutMs ?? 2000,
    );
  } catch (e) {
    store = (e as Error).message.split('\n')[0] ?? 'error';
  }
  // Before its start position is read (`ready()`), the follower's lag is unknown: not ready.
  const caughtUp = follower === null || follower.seconds < (sources.maxLagSeconds ?? 10);
  return { ready: store === 'ok' && caughtUp && !draining, store, follower, draining };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
