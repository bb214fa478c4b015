import type { Gate } from './announcer.js';

/**
 * N822-3 across processes, the reading side: how far each other process (`origin`) has
 * answered its writers, and gates that hold that process's events until it has. A process
 * that crashes never sends its mark: its events then go out after `graceMs`, so nothing
 * committed goes unannounced (N822-2).
 *
 * @example
 * ```ts
 * const marks = new RemoteMarks(12_000);
 * announcer.hold(marks.gate(e.origin, e.seq), [e]);
 * marks.mark(e.origin, e.seq); // the gate opens
 * ```
 */
export class RemoteMarks {
  readonly #graceMs: number;
  readonly #marks = new Map<string, number>();
  readonly #waiting = new Map<string, Set<Waiter>>();

  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /** `origin` has answered every write of its own up to `seq`. */
  mark(origin: string, seq: number): void {
    if ((this.#marks.get(origin) ?? 0) >= seq) return;
    this.#marks.set(origin, seq);
    const waiting = this.#waiting.get(origin);
    if (!waiting) return;
    for (const w of waiting) if (w.seq <= seq) w.open();
  }

  /** A gate that opens once `origin` has answered up to `seq` (or after `graceMs`). */
  gate(origin: string, seq: number): Gate {
    let waiter: Waiter | undefined;
    const forget = (): void => {
      if (!waiter) return;
      clearTimeout(waiter.timer);
      const set = this.#waiting.get(origin);
      set?.delete(waiter);
      if (set?.size === 0) this.#waiting.delete(origin);
      waiter = undefined;
    };
    return {
      watch: (open) => {
        if ((this.#marks.get(origin) ?? 0) >= seq) return open();
        const w: Waiter = {
          seq,
          open: () => {
            forget();
            open();
          },
          timer: setTimeout(() => w.open(), this.#graceMs),
        };
        w.timer.unref();
        waiter = w;
        let set = this.#waiting.get(origin);
        if (!set) this.#waiting.set(origin, (set = new Set()));
        set.add(w);
      },
      // The other process cuts its own stalled writers, then sends its mark.
      stalled: () => undefined,
      dispose: forget,
    };
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const set of this.#waiting.values()) for (const w of set) clearTimeout(w.timer);
    this.#waiting.clear();
  }
}

interface Waiter {
  seq: number;
  open(): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * N822-3 across processes, the writing side: this process's mark, the highest seq up to which
 * every write it made has been answered. A write still committing has no seq yet, but it will
 * be above the newest seq known when it began (`begin(floor)`), so the mark stays below that
 * until it has committed and been answered.
 *
 * @example
 * ```ts
 * const answers = new LocalAnswers((seq) => store.publishMark(seq));
 * const w = answers.begin(lastKnownSeq);
 * const { events } = await store.write(request);
 * answers.committed(w, events[0].seq, events.at(-1).seq);
 * res.once('finish', () => answers.answered(events.at(-1).seq));
 * ```
 */
export class LocalAnswers {
  readonly #publish: (seq: number) => void;
  /** Writes still committing, each with the newest seq known when it began. */
  readonly #inflight = new Map<number, number>();
  #nextToken = 1;
  /** Committed writes not answered yet: last seq -> first seq. */
  readonly #pending = new Map<number, number>();
  #highest = 0;
  #published = 0;

  constructor(publish: (seq: number) => void) {
    this.#publish = publish;
  }

  /** A write begins; its seqs will be above `floor`. Returns its token. */
  begin(floor: number): number {
    const token = this.#nextToken++;
    this.#inflight.set(token, floor);
    return token;
  }

  /** The write of `token` failed: it has no seqs. */
  failed(token: number): void {
    this.#inflight.delete(token);
    this.#update();
  }

  /**
   * A write committed with seqs `first..last` (its token, or undefined for a write this
   * process did not see begin); it waits for its answer.
   */
  committed(token: number | undefined, first: number, last: number): void {
    if (token !== undefined) this.#inflight.delete(token);
    this.#pending.set(last, first);
    if (last > this.#highest) this.#highest = last;
    this.#update();
  }

  /** The write whose last seq is `last` has been answered (or its writer has gone). */
  answered(last: number): void {
    if (this.#pending.delete(last)) this.#update();
  }

  #update(): void {
    let mark = this.#highest;
    for (const floor of this.#inflight.values()) if (floor < mark) mark = floor;
    for (const first of this.#pending.values()) if (first - 1 < mark) mark = first - 1;
    if (mark <= this.#published) return;
    this.#published = mark;
    this.#publish(mark);
  }
}
