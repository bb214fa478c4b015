import type { Store } from '../../store/index.js';
import type { Hub } from '../engine/hub.js';
import type { ChangeRecorder } from './change-recorder.js';
import { stateOf, type KnownState, type StateCache } from './state-cache.js';
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
  store: Store;
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
 * resource only learns its state. A change another node already recorded (the log's last
 * event about it has this ETag) is not recorded twice.
 *
 * @example
 * ```ts
 * const poller = new Poller({ intervalMs: 5000, hub, upstream, cache, recorder, store, maxStateBytes: 1 << 20 });
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
    const { cache, upstream } = this.#o;
    const known = cache.get(path);
    const conditional: Array<[string, string]> = [];
    if (known?.etag) conditional.push(['If-None-Match', known.etag]);
    else if (known?.lastModified) conditional.push(['If-Modified-Since', known.lastModified]);
    this.stats.requests++;
    const r = await upstream.read(path, conditional, this.#o.maxStateBytes);
    r.overflow?.rest.destroy();
    if (r.status === 304) return;
    if (r.status === 404 || r.status === 410) {
      if (!known) return;
      cache.delete(path);
      if ((await this.#o.store.lastEvent(path))?.method === 'DELETE') return;
      this.stats.changes++;
      await this.#o.recorder.record({ method: 'DELETE', path, status: r.status });
      return;
    }
    if (r.status !== 200) return; // the upstream failing, or refusing the proxy: no news
    const now = stateOf(r);
    if (!known || same(known, now)) {
      cache.set(path, now);
      return;
    }
    const last = await this.#o.store.lastEvent(path);
    if (now.etag !== null && last?.etag === now.etag) {
      cache.set(path, now);
      return;
    }
    this.stats.changes++;
    await this.#o.recorder.record({ method: 'PUT', path, status: 200, after: now });
  }
}

/** Whether two looks at a resource show the same state (its ETag, else its bytes). */
function same(a: KnownState, b: KnownState): boolean {
  if (a.etag !== null && b.etag !== null) return a.etag === b.etag;
  const x = a.representation;
  const y = b.representation;
  if (x && y) return Buffer.compare(x.body, y.body) === 0 && x.contentType === y.contentType;
  if (a.lastModified !== null && b.lastModified !== null) return a.lastModified === b.lastModified;
  // Nothing to compare by (no validator, too large to keep): no news rather than false news.
  return true;
}
