import type { Store, StoredEvent } from '../../../store/index.js';
import { TurnBudget } from '../../engine/turn-budget.js';
import { isMemberEntry } from './feed-page.js';

/** At most this many events per scan step, and about this many bytes of their bodies. */
const SCAN_BATCH = 1000;
const SCAN_BYTES = 4 * 1024 * 1024;

/**
 * Where the pages of one container's feed start: the container's entries (events whose
 * parent is the container and whose path is not itself a container, see publisher.ts) get
 * positions 0, 1, 2, ... in seq order, and page `k` holds positions `k*pageSize` to
 * `(k+1)*pageSize - 1` (WES-4: positions never move, so archives never change).
 *
 * Positions are counted from the epoch: every entry with a seq above `epoch`. The epoch is 0
 * (the very first event) unless the log had already been pruned when the index was built; then
 * nothing says how many entries went before, so counting starts after the pruned part and the
 * epoch, which is part of every archive URL, says from where. Archive URLs of one epoch thus
 * always name the same entries: a pure function of the URL and the log.
 *
 * The index is a cache of the log, rebuilt on demand; it holds one number per page.
 *
 * @example
 * ```ts
 * const index = new FeedIndex(store, '/notes/', 100);
 * await index.refresh();
 * console.log(index.fullPages, index.count);
 * ```
 */
export class FeedIndex {
  readonly #store: Store;
  readonly container: string;
  readonly pageSize: number;
  /** Positions count entries with seq above this. */
  epoch = 0;
  /** The seq of the first entry of each page that has one. */
  starts: number[] = [];
  /** Entries counted. */
  count = 0;
  /** The seq of the newest entry counted (0 if none). */
  lastEntrySeq = 0;
  /** Time of the newest entry counted (epoch ms; 0 if none). */
  lastEntryTime = 0;
  /** Every event with seq up to this was looked at. */
  #scanned = 0;
  #built = false;
  #running: Promise<void> | undefined;

  readonly #isEntry: (e: StoredEvent) => boolean;

  constructor(
    store: Store,
    container: string,
    pageSize: number,
    isEntry: (e: StoredEvent) => boolean = isMemberEntry,
  ) {
    this.#store = store;
    this.#isEntry = isEntry;
    this.container = container;
    this.pageSize = pageSize;
  }

  /** Pages that hold `pageSize` entries: the archives. */
  get fullPages(): number {
    return Math.floor(this.count / this.pageSize);
  }

  /** The page the subscription document shows: the one after the last full archive. */
  get currentPage(): number {
    return this.fullPages;
  }

  /**
   * Counts the entries committed since the last call. Concurrent calls share one scan.
   */
  refresh(): Promise<void> {
    if (this.#running) return this.#running;
    const run = this.#scan().finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  /** The page that holds the entry with this seq, if it was counted. */
  pageOf(seq: number): number | undefined {
    if (seq <= this.epoch || seq > this.lastEntrySeq || this.starts.length === 0) return undefined;
    // The last page whose first entry is at or before `seq`.
    let lo = 0;
    let hi = this.starts.length - 1;
    if ((this.starts[0] as number) > seq) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] as number) <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  #reset(epoch: number): void {
    this.epoch = epoch;
    this.starts = [];
    this.count = 0;
    this.lastEntrySeq = 0;
    this.lastEntryTime = 0;
    this.#scanned = epoch;
    this.#built = true;
  }

  async #scan(): Promise<void> {
    const store = this.#store;
    const oldest = await store.oldestSeq();
    if (!this.#built) this.#reset(oldest <= 1 ? 0 : oldest - 1);
    // SEC-2: the events come with their bodies; a step reads a few MiB of them, then other
    // requests may run (a container of large documents is not read in one turn).
    const turn = new TurnBudget();
    let limit = 8;
    for (;;) {
      if (turn.due) await turn.next();
      const before = this.#scanned;
      const last = await store.lastSeq();
      const batch = await store.events({
        parent: this.container,
        afterSeq: before,
        limit,
      });
      // Events after `before` pruned before they were counted: their positions are lost, so
      // counting starts again after what the log still holds, in a new epoch.
      if (last > before) {
        const oldestNow = await store.oldestSeq();
        if (oldestNow > before + 1) {
          this.#reset(oldestNow - 1);
          continue;
        }
      }
      for (const e of batch) {
        if (!this.#isEntry(e)) continue;
        if (this.count % this.pageSize === 0) this.starts.push(e.seq);
        this.count++;
        this.lastEntrySeq = e.seq;
        this.lastEntryTime = e.time;
      }
      const seen = batch.at(-1)?.seq ?? before;
      if (batch.length < limit) {
        this.#scanned = Math.max(seen, last, before);
        return;
      }
      this.#scanned = seen;
      let bytes = 0;
      for (const e of batch) bytes += (e.body?.length ?? 0) + 256;
      limit = Math.min(SCAN_BATCH, Math.max(1, Math.floor((batch.length * SCAN_BYTES) / bytes)));
    }
  }
}
