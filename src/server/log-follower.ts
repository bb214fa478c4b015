import type { Store, StoredEvent } from '../store/index.js';

/** A store that can wake its readers after commits by any node (`PostgresStore`). */
export interface ListenableStore extends Store {
  listen(onCommit: () => void): Promise<() => Promise<void>>;
}

/** Whether a store can be followed (it has `listen`). */
export function canListen(store: Store): store is ListenableStore {
  return typeof (store as Partial<ListenableStore>).listen === 'function';
}

/** Options of {@link LogFollower}. */
export interface LogFollowerOptions {
  store: ListenableStore;
  /**
   * Takes the new events of one page, in seq order, each exactly once. Called synchronously,
   * never concurrently with itself.
   */
  deliver(events: StoredEvent[]): void;
  /**
   * Awaited after a page is read and before it is delivered: lets the server finish
   * registering its own writes that committed in that page (see `createResourceServer`).
   */
  beforeDeliver?: () => Promise<unknown>;
  /** The safety-net poll: the log is read this often even without a NOTIFY. Default 5000 ms. */
  pollIntervalMs?: number;
  /** Events read per page. Default 500. */
  pageSize?: number;
  /** Called with errors of reads (the database being down); they are retried by themselves. */
  onError?: (error: unknown) => void;
}

/**
 * Follows the shared event log of a store that several server nodes write (DESIGN.md, the
 * bus): wakes on every NOTIFY, after the LISTEN connection comes back, and on a poll timer;
 * then reads the log from its high-water mark in seq order, page by page, and delivers what
 * is new. A NOTIFY is only a wake-up, never trusted for content, so a missed one loses
 * nothing: the next wake-up (at the latest the poll) reads everything after the mark.
 *
 * @example
 * ```ts
 * declare const store: PostgresStore; // opened, shared by several nodes
 * const history = new StoreHistory(store);
 * const follower = new LogFollower({
 *   store,
 *   deliver: (events) => engine.hub.publish(events.map((e) => history.toHubEvent(e))),
 * });
 * await follower.started();
 * await follower.close();
 * ```
 */
export class LogFollower {
  readonly #options: LogFollowerOptions;
  /** The seq of the newest event delivered (or already in the log at start). */
  #mark: number | undefined;
  #running = false;
  #again = false;
  #closed = false;
  #unlisten: (() => Promise<void>) | undefined;
  #listening: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;
  /** Resolves when the current catch-up (if any) has ended; for tests and shutdown. */
  #idle: Promise<void> = Promise.resolve();

  constructor(options: LogFollowerOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.wake(), options.pollIntervalMs ?? 5000);
    this.#timer.unref();
    this.wake();
  }

  /**
   * Resolves once the starting high-water mark is known (the log's `lastSeq()`, read on the
   * first call); rejects (STORE_UNAVAILABLE) if it cannot be read now. Await it before a write
   * whose events must be delivered: events committed before the mark are not.
   */
  async started(): Promise<void> {
    if (this.#mark !== undefined) return;
    const seq = await this.#options.store.lastSeq();
    // The first read to finish sets the mark; a later one may be older than a write since.
    this.#mark ??= seq;
  }

  /** The seq of the newest event delivered; undefined before `started()`. */
  get mark(): number | undefined {
    return this.#mark;
  }

  /** Reads the log now (coalesced with a read already under way). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#catchUp().finally(() => {
      this.#running = false;
    });
  }

  /** Stops listening and polling; a read under way finishes without delivering more pages. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#listening?.catch(() => undefined);
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await Promise.all([unlisten?.(), this.#idle]);
  }

  async #catchUp(): Promise<void> {
    const { store } = this.#options;
    const limit = this.#options.pageSize ?? 500;
    try {
      this.#ensureListening();
      await this.started();
      do {
        this.#again = false;
        for (;;) {
          if (this.#closed) return;
          const mark = this.#mark ?? 0;
          const page = await store.events({ afterSeq: mark, limit });
          if (this.#closed || page.length === 0) break;
          await this.#options.beforeDeliver?.();
          if (this.#closed) return;
          // Only one catch-up runs at a time, so the mark has not moved meanwhile.
          const fresh = page.filter((e) => e.seq > mark);
          if (fresh.length > 0) {
            this.#mark = fresh.at(-1)!.seq;
            this.#options.deliver(fresh);
          }
          if (page.length < limit) break;
        }
      } while (this.#again);
    } catch (e) {
      // The database is down: the poll (or LISTEN coming back) tries again.
      this.#options.onError?.(e);
    }
  }

  /** LISTENs once; a failed attempt (database down) is retried on the next wake-up. */
  #ensureListening(): void {
    if (this.#unlisten || this.#listening || this.#closed) return;
    this.#listening = this.#options.store
      .listen(() => this.wake())
      .then(
        (unlisten) => {
          this.#listening = undefined;
          if (this.#closed) void unlisten();
          else {
            this.#unlisten = unlisten;
            // Commits made while LISTEN was being set up were not announced to us.
            this.wake();
          }
        },
        (e: unknown) => {
          this.#listening = undefined;
          this.#options.onError?.(e);
        },
      );
  }
}
