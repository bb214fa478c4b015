import type { HubEvent } from '../engine/hub.js';

/**
 * A log that other processes write too, as the event path follows it: our store's log
 * through `StoreHistory.followed()` (SQLite: a change check on the file; PostgreSQL:
 * LISTEN/NOTIFY), or any log an application keeps.
 */
export interface FollowedLog {
  /** This process's id, as recorded with the events it writes (`HubEvent.origin`). */
  readonly origin: string;
  /** The seq of the newest committed event (0 if none). */
  lastSeq(): Promise<number>;
  /** Committed events after `afterSeq`, oldest first, at most `limit`, with their origins. */
  read(afterSeq: number, limit: number): Promise<HubEvent[]>;
  /**
   * Wakes `onCommit` after commits by other processes (only a wake-up: the log is read from
   * the high-water mark), and tells `onMark` how far other processes have answered.
   */
  listen(listener: {
    onCommit(): void;
    onMark?(origin: string, seq: number): void;
  }): Promise<() => Promise<void>>;
  /** This process has answered every write of its own up to `seq` (N822-3 across processes). */
  publishMark(seq: number): void;
}

/** Options of {@link LogFollower}. */
export interface LogFollowerOptions {
  log: FollowedLog;
  /** The seq of the newest event delivered: pages are read after it. */
  from(): number;
  /**
   * Takes the events of one page, in seq order (some may have been delivered meanwhile by
   * another path: skip seqs up to `from()`). Called synchronously, never concurrently.
   */
  deliver(events: HubEvent[]): void;
  /** Other processes' marks, as the log's listener hears them. */
  onMark?(origin: string, seq: number): void;
  /** The safety-net poll: the log is read this often even without a wake-up. Default 5000 ms. */
  pollIntervalMs?: number;
  /** Events read per page. Default 500. */
  pageSize?: number;
  /** Called with errors of reads (the database being down); they are retried by themselves. */
  onError?: (error: unknown) => void;
}

/**
 * Follows a log that several processes write (DESIGN.md, "The event path, and processes"):
 * wakes on every commit the log's listener reports, after that listener comes back, on
 * `wake()` (a wake-up relayed by a cluster primary) and on a poll timer; then reads the log
 * after the high-water mark in seq order, page by page, and delivers what is new. A wake-up is
 * never trusted for content, so a missed one loses nothing: the next (at the latest the poll)
 * reads everything after the mark.
 *
 * @example
 * ```ts
 * declare const log: FollowedLog; // StoreHistory.followed()
 * declare function publish(events: HubEvent[]): void;
 * let mark = 0; // the newest seq delivered
 * const follower = new LogFollower({ log, from: () => mark, deliver: (es) => publish(es) });
 * follower.wake();
 * await follower.close();
 * ```
 */
export class LogFollower {
  readonly #options: LogFollowerOptions;
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

  /** Resolves once no read is under way (after a `wake()`, once it has been delivered). */
  async idle(): Promise<void> {
    while (this.#running) await this.#idle;
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
    const { log } = this.#options;
    const limit = this.#options.pageSize ?? 500;
    try {
      this.#ensureListening();
      do {
        this.#again = false;
        for (;;) {
          if (this.#closed) return;
          const page = await log.read(this.#options.from(), limit);
          if (this.#closed) return;
          if (page.length > 0) this.#options.deliver(page);
          if (page.length < limit) break;
        }
      } while (this.#again);
    } catch (e) {
      // The database is down: the poll (or the listener coming back) tries again.
      this.#options.onError?.(e);
    }
  }

  /** Listens once; a failed attempt (database down) is retried on the next wake-up. */
  #ensureListening(): void {
    if (this.#unlisten || this.#listening || this.#closed) return;
    const options = this.#options;
    const onMark = options.onMark
      ? (origin: string, seq: number) => options.onMark?.(origin, seq)
      : undefined;
    this.#listening = this.#options.log
      .listen({
        onCommit: () => this.wake(),
        ...(onMark ? { onMark } : {}),
      })
      .then(
        (unlisten) => {
          this.#listening = undefined;
          if (this.#closed) void unlisten();
          else {
            this.#unlisten = unlisten;
            // Commits made while the listener was being set up were not announced to us.
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
