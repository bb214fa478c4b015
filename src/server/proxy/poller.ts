import type { Hub } from '../engine/hub.js';
import type { ChangeRecorder } from './change-recorder.js';
import { stateOf, type StateCache } from './state-cache.js';
import type { Upstream } from './upstream.js';

/** Options of {@link Poller}. */
export interface PollerOptions {
  /** Time between the end of one round and the start of the next. */
  intervalMs: number;
  /** Conditional GETs in flight at once (bounds the load on the upstream). Default 8. */
  concurrency?: number;
  hub: Hub;
  upstream: Upstream;
  cache: StateCache;
  recorder: ChangeRecorder;
  /** Largest representation kept from a poll. */
  maxStateBytes: number;
  onError?: (error: unknown, path: string) => void;
}

/** What the poller has done, for logs, benchmarks and tests. */
export interface PollerStats {
  /** Rounds completed. */
  rounds: number;
  /** Conditional GETs sent. */
  requests: number;
  /** Changes found (and recorded). */
  changes: number;
}

/**
 * `prep proxy --poll`: changes that bypass the proxy (another client, a job, the database)
 * are noticed by revalidating each watched resource that has subscribers, once a round: a
 * conditional GET (`If-None-Match`, else `If-Modified-Since`) costs a 304 when nothing
 * changed. A 200 with another ETag (or other bytes) is recorded as a PUT, a 404 or 410 of a
 * resource that was there as a DELETE (which ends its streams, RSP-7). The first look at a
 * resource only learns its state (`ChangeRecorder.observe` says what is news).
 *
 * @example
 * ```ts
 * const poller = new Poller({ intervalMs: 5000, hub, upstream, cache, recorder, maxStateBytes: 1 << 20 });
 * poller.start();
 * ```
 */
export class Poller {
  readonly stats: PollerStats = { rounds: 0, requests: 0, changes: 0 };
  readonly #o: PollerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> | undefined;
  #closed = false;

  constructor(options: PollerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('the poll interval must be positive');
    this.#o = options;
  }

  /** Starts the rounds (the first after one interval). */
  start(): void {
    if (this.#closed || this.#timer) return;
    this.#schedule();
  }

  /** Runs one round now (tests); resolves when it is done. */
  poll(): Promise<void> {
    this.#round ??= this.#run().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /** Stops polling; resolves once the round under way is done. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.poll().then(() => {
        if (!this.#closed) this.#schedule();
      });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    const paths = [...this.#o.hub.subscribedPaths()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length && !this.#closed) {
        const path = paths[next++]!;
        try {
          await this.#check(path);
        } catch (e) {
          this.#o.onError?.(e, path);
        }
      }
    };
    const n = Math.max(1, Math.min(this.#o.concurrency ?? 8, paths.length));
    await Promise.all(Array.from({ length: n }, worker));
    this.stats.rounds++;
  }

  async #check(path: string): Promise<void> {
    const { cache, upstream, recorder } = this.#o;
    const known = cache.get(path);
    const conditional: Array<[string, string]> = [];
    if (known?.etag) conditional.push(['If-None-Match', known.etag]);
    else if (known?.lastModified) conditional.push(['If-Modified-Since', known.lastModified]);
    this.stats.requests++;
    const stamp = cache.stamp();
    const r = await upstream.read(path, conditional, this.#o.maxStateBytes);
    r.overflow?.rest.destroy();
    // 304: nothing changed. Another status (the upstream failing, or refusing the proxy's
    // own requests): no news either.
    let found;
    if (r.status === 200) found = stateOf(r);
    else if (r.status === 404 || r.status === 410) found = 'gone' as const;
    else return;
    const events = await recorder.observe(path, found, stamp);
    if (events.length > 0) this.stats.changes++;
  }
}
