import type { EventHistory } from '../engine/engine.js';
import type { Hub, HubEvent } from '../engine/hub.js';
import {
  Announcer,
  OPEN_GATE,
  gateOf,
  withoutHeld,
  type AnnouncerOptions,
  type Gate,
} from './announcer.js';
import { LocalAnswers, RemoteMarks } from './answer-marks.js';
import { LogFollower, type FollowedLog } from './follower.js';
import type { Writer } from './response-gate.js';

/** Options of {@link EventPath}. */
export interface EventPathOptions extends AnnouncerOptions {
  /** Where announced events go. */
  hub: Hub;
  /** The log the engine's replays read (`StoreHistory`, `MemoryHistory`, ...). */
  history: EventHistory;
  /**
   * A log other processes write too (`StoreHistory.followed()`): followed, so that their
   * writes reach this process's subscribers, once, in commit order, and announced only once
   * their writers have had their responses (N822-3 across processes).
   */
  follow?: FollowedLog;
  /** The follower's safety-net poll. Default 5000 ms. */
  pollIntervalMs?: number;
  /** Events read per page of the log. Default 500. */
  pageSize?: number;
  /** Errors of reads of the followed log (they are retried by themselves). */
  onError?: (error: unknown) => void;
}

/** A write of this process, committed and waiting to be delivered in seq order. */
interface LocalWrite {
  gate: Gate;
  events: HubEvent[];
  delivered: boolean;
}

/** The following side of the path: present when the log has other writers. */
interface Following {
  log: FollowedLog;
  follower: LogFollower;
  marks: RemoteMarks;
  answers: LocalAnswers;
  /** This process's writes not yet delivered (a gap before them), by each of their seqs. */
  local: Map<number, LocalWrite>;
  /** Events of this process read from the log before their write was registered. */
  parked: Map<number, (gate: Gate) => void>;
}

/**
 * The event path (DESIGN.md, "The event path, and processes"): the one way from a commit to
 * the subscribers, whatever the number of processes.
 *
 * - It takes committed events: this process's writes (`write`, `commit`), and, when the log
 *   has other writers (`follow`), everything a follower reads from it.
 * - It holds each until its writer's response is out (N822-3): a response gate for this
 *   process's writes, the writing process's mark for others' (`markAnswered`), and it
 *   publishes this process's own mark for theirs.
 * - It keeps commit order per channel (`Announcer`), and feeds the hub.
 * - It gives the engine its replay view (`view`), which never replays an event not announced
 *   yet: it goes out live.
 *
 * With a followed log, a write of this process whose seq follows the last one delivered goes
 * out without a read; after a gap (another process committed in between) the follower reads
 * the log and delivers both in seq order.
 *
 * @example
 * ```ts
 * declare const history: StoreHistory, request: WriteRequest;
 * const follow = history.followed(); // undefined: no other process writes this log
 * const path = new EventPath({ hub: engine.hub, history, ...(follow ? { follow } : {}) });
 * const result = await path.write(res, () => store.write(request), (r) =>
 *   r.events.map((e) => history.toHubEvent(e)),
 * );
 * ```
 */
export class EventPath {
  /** The history as the engine must see it: what is announced (EXT-1, RSP-5). */
  readonly view: EventHistory;
  /** A commit of this process (seq): for a cluster primary to wake the other workers. */
  onCommitted: ((seq: number) => void) | undefined;
  /** This process's mark grew (see `LocalAnswers`): for a cluster primary to relay. */
  onAnswered: ((seq: number) => void) | undefined;
  readonly #announcer: Announcer;
  readonly #hub: Hub;
  readonly #history: EventHistory;
  /** The newest seq this process committed. */
  #ownSeq = 0;
  readonly #stallMs: number;
  readonly #follow: Following | undefined;
  /** Following: the newest seq handed to the announcer; undefined until known. */
  #mark: number | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: EventPathOptions) {
    this.#history = options.history;
    this.#stallMs = options.writerStallMs ?? 10_000;
    this.#hub = options.hub;
    this.#announcer = new Announcer(options.hub, options);
    const log = options.follow;
    if (log) {
      // Another process's writer is waited for as long as a local one may stall others.
      const marks = new RemoteMarks(this.#stallMs);
      const answers = new LocalAnswers((seq) => {
        log.publishMark(seq);
        this.onAnswered?.(seq);
      });
      const follower = new LogFollower({
        log,
        from: () => this.#mark ?? Number.MAX_SAFE_INTEGER,
        deliver: (events) => this.#deliver(events),
        onMark: (origin, seq) => marks.mark(origin, seq),
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      });
      this.#follow = { log, follower, marks, answers, local: new Map(), parked: new Map() };
      this.ready().then(
        () => follower.wake(),
        (e: unknown) => options.onError?.(e),
      );
    }
    const history = this.#history;
    // Following, what is announced is known only once the starting mark is: a replay asked
    // for before then waits for it (else every event would look unannounced yet).
    this.view = {
      lastSeq: async () => {
        await this.ready();
        return history.lastSeq();
      },
      latestEventId: (path, isContainer) => history.latestEventId(path, isContainer),
      seqOf: (id) => history.seqOf(id),
      eventsAfter: async (path, isContainer, afterSeq, withStates, budget) => {
        await this.ready();
        const events = await history.eventsAfter(path, isContainer, afterSeq, withStates, budget);
        return events && withoutHeld(events, (seq) => this.#unannounced(seq, path));
      },
      oldestHeld: (path) => {
        const held = this.#announcer.oldestHeld(path);
        if (!this.#follow) return held;
        const next = (this.#mark ?? 0) + 1;
        return held === undefined ? next : Math.min(held, next);
      },
    };
  }

  /** Following: this process's id in the log (`FollowedLog.origin`). */
  get origin(): string | undefined {
    return this.#follow?.log.origin;
  }

  /** Whether another process's writes are followed. */
  get following(): boolean {
    return this.#follow !== undefined;
  }

  /** Following: the seq of the newest event delivered (undefined before `ready()`). */
  get mark(): number | undefined {
    return this.#mark;
  }

  /**
   * Resolves once the path can take writes: following, once its starting high-water mark
   * is read (events committed before it are not announced). Rejects while the log cannot be
   * read (STORE_UNAVAILABLE); a later call tries again.
   */
  ready(): Promise<void> {
    const follow = this.#follow;
    if (!follow || this.#mark !== undefined) return Promise.resolve();
    this.#starting ??= follow.log.lastSeq().then(
      (seq) => {
        this.#mark ??= seq;
      },
      (e: unknown) => {
        this.#starting = undefined;
        throw e;
      },
    );
    return this.#starting;
  }

  /**
   * Runs one write of this process (`run` commits it) and announces its events (`eventsOf`)
   * once `res` has been sent, or at once without `res`. A write that fails announces nothing.
   */
  async write<T>(
    res: Writer | undefined,
    run: () => Promise<T>,
    eventsOf: (result: T) => HubEvent[],
  ): Promise<T> {
    const follow = this.#follow;
    if (!follow) {
      const result = await run();
      this.commit(res, eventsOf(result));
      return result;
    }
    await this.ready();
    const token = follow.answers.begin(this.#mark ?? 0);
    let result: T;
    try {
      result = await run();
    } catch (e) {
      follow.answers.failed(token);
      throw e;
    }
    this.#commit(gateOf(res), eventsOf(result), token);
    return result;
  }

  /**
   * Announces one committed change of this process (its events in seq order) once `res`
   * has been sent (N822-3), or at once without `res`. Call it in the turn the write
   * resolved: a process's mark is made of the writes it was told of.
   */
  commit(res: Writer | undefined, events: HubEvent[]): void {
    this.#commit(gateOf(res), events, undefined);
  }

  /** Another process has answered its writes up to `seq` (a mark relayed by a primary). */
  markAnswered(origin: string, seq: number): void {
    this.#follow?.marks.mark(origin, seq);
  }

  /** Reads the followed log now (a commit elsewhere, relayed by a primary). */
  wake(): void {
    this.#follow?.follower.wake();
  }

  /**
   * Following: how far the follower is behind the log: the events committed that it has not
   * read yet, and how long ago the oldest of them was committed. Reads the log; undefined when
   * nothing is followed or before `ready()`.
   */
  async lag(): Promise<{ events: number; seconds: number } | undefined> {
    const follow = this.#follow;
    const mark = this.#mark;
    if (!follow || mark === undefined) return undefined;
    const events = Math.max(0, (await follow.log.lastSeq()) - mark);
    if (events === 0) return { events, seconds: 0 };
    const [oldest] = await follow.log.read(mark, 1);
    return { events, seconds: oldest ? Math.max(0, (Date.now() - oldest.time) / 1000) : 0 };
  }

  /**
   * Whether every write of this process committed so far has been handed to the hub, and the
   * hub has sent what it was given: what a drain waits for before closing the streams.
   */
  get settled(): boolean {
    if (this.#hub.busy || (this.#follow && this.#follow.local.size > 0)) return false;
    const oldest = this.#announcer.oldestSeq;
    return oldest === undefined || oldest > this.#ownSeq;
  }

  /** Resolves once the follower has delivered what it was woken for (tests, drain). */
  async caughtUp(): Promise<void> {
    await this.#follow?.follower.idle();
  }

  /** Stops following; nothing more is announced. */
  async close(): Promise<void> {
    this.#announcer.close();
    const follow = this.#follow;
    if (!follow) return;
    follow.marks.close();
    await follow.follower.close();
  }

  #commit(gate: Gate, events: HubEvent[], token: number | undefined): void {
    const first = events[0];
    const last = events.at(-1);
    const follow = this.#follow;
    if (!first || !last) return;
    this.#ownSeq = Math.max(this.#ownSeq, last.seq);
    if (!follow) {
      this.#announcer.hold(gate, events);
      return;
    }
    follow.answers.committed(token, first.seq, last.seq);
    const answered = shareGate(answeredGate(gate, () => follow.answers.answered(last.seq)));
    this.onCommitted?.(last.seq);
    this.#mark ??= first.seq - 1;
    // Events the follower read before this call: they wait for this gate now.
    const rest: HubEvent[] = [];
    for (const e of events) {
      const park = follow.parked.get(e.seq);
      if (park) {
        follow.parked.delete(e.seq);
        park(answered);
      } else if (e.seq > this.#mark) rest.push(e);
    }
    const next = rest[0];
    if (!next) return;
    if (next.seq === this.#mark + 1) {
      // Nothing of another process's in between: no read needed.
      this.#mark = last.seq;
      this.#announcer.hold(answered, rest);
      return;
    }
    const write: LocalWrite = { gate: answered, events: rest, delivered: false };
    for (const e of rest) follow.local.set(e.seq, write);
    follow.follower.wake();
  }

  /** A page of the followed log, in seq order. */
  #deliver(events: HubEvent[]): void {
    const follow = this.#follow;
    if (!follow || this.#mark === undefined) return;
    for (const e of events) {
      if (e.seq <= this.#mark) continue;
      this.#mark = e.seq;
      const mine = follow.local.get(e.seq);
      if (mine) {
        follow.local.delete(e.seq);
        // A write's events may span pages: it is announced with its first one.
        if (!mine.delivered) {
          mine.delivered = true;
          this.#announcer.hold(mine.gate, mine.events);
        }
      } else if (e.origin === follow.log.origin) this.#announcer.hold(this.#park(e.seq), [e]);
      else if (e.origin) this.#announcer.hold(follow.marks.gate(e.origin, e.seq), [e]);
      else this.#announcer.hold(OPEN_GATE, [e]);
    }
  }

  /**
   * A gate for an event of this process read before its write was registered: it opens with
   * the write's own gate once `commit` registers it, or after `writerStallMs` if it never is
   * (a write that failed in flight but committed, a write an application did not report).
   */
  #park(seq: number): Gate {
    const parked = this.#follow!.parked;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let real: Gate | undefined;
    return {
      watch: (open) => {
        const take = (gate: Gate): void => {
          clearTimeout(timer);
          real = gate;
          gate.watch(open);
        };
        parked.set(seq, take);
        timer = setTimeout(() => {
          parked.delete(seq);
          open();
        }, this.#stallMs);
        timer.unref();
      },
      stalled: () => real?.stalled(),
      dispose: () => {
        clearTimeout(timer);
        parked.delete(seq);
        real?.dispose?.();
      },
    };
  }

  #unannounced(seq: number, path: string): boolean {
    if (this.#announcer.isHeld(seq, path)) return true;
    return this.#follow !== undefined && seq > (this.#mark ?? 0);
  }
}

/** `gate`, telling `onOpen` when it opens (a write answered: the process's mark may grow). */
function answeredGate(gate: Gate, onOpen: () => void): Gate {
  return {
    watch: (open) =>
      gate.watch(() => {
        onOpen();
        open();
      }),
    stalled: () => gate.stalled(),
    dispose: () => gate.dispose?.(),
  };
}

/**
 * `gate` for several holders (a write whose events were delivered in pieces): it is watched
 * once, and opens every holder's change together.
 */
function shareGate(gate: Gate): Gate {
  let opened = false;
  let watching = false;
  const waiting: Array<() => void> = [];
  return {
    watch: (open) => {
      if (opened) return open();
      waiting.push(open);
      if (watching) return;
      watching = true;
      gate.watch(() => {
        opened = true;
        for (const o of waiting.splice(0)) o();
      });
    },
    stalled: () => gate.stalled(),
    dispose: () => gate.dispose?.(),
  };
}
