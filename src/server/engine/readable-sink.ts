import type { StreamSink } from './sink.js';

/** node:net's default writableHighWaterMark: `write` says "behind" past it, as a socket does. */
const DEFAULT_HIGH_WATER_MARK = 16 * 1024;

/**
 * How long a sink waits after handing the runtime one part before it hands the next
 * (RSP-6). A runtime that finds several chunks ready when it reads sends them as one
 * HTTP/1.1 chunk (Bun and Deno do; `@hono/node-server` writes each read on its own), and
 * then a delimiter ends in the middle of a chunk. Measured with a raw socket:
 * - `none`: the next part at once: one chunk per read where the runtime writes each read
 *   by itself (`@hono/node-server`);
 * - `turn`: the next part a turn of the event loop later (`setImmediate`): Bun;
 * - `timer`: a timer later (`setTimeout(0)`): Deno, whose body is read by a task of its own
 *   that a turn does not always let run, and any runtime not known.
 */
export type SinkPace = 'none' | 'turn' | 'timer';

/** Options of {@link ReadableStreamSink}. */
export interface ReadableSinkOptions {
  /** Bytes queued before `write` says false. Default 16 KiB. */
  highWaterMark?: number;
  /** Default `timer`. */
  pace?: SinkPace;
}

/**
 * A sink whose bytes are the body of a fetch `Response`: a `ReadableStream` that the runtime
 * (Bun, Deno, `@hono/node-server`, workerd) reads and writes to its socket.
 *
 * - RSP-6: the hub hands a raw sink one part per `write` (each ends with a delimiter), and
 *   each read of the stream gets exactly one of them: one enqueued chunk per write. Whether
 *   the runtime keeps each read its own HTTP/1.1 chunk is up to it (README, "Runtimes").
 * - Backpressure (SEC-2): the stream's own queue is kept empty (`highWaterMark: 0`), and
 *   parts wait in this sink's queue until the runtime asks for the next one (`pull`, called
 *   only as fast as it writes to its socket). So `bufferedBytes` counts exactly what a slow
 *   reader has not taken, and the hub's bound (`maxQueueBytes`) closes it as on node;
 *   `write` says false past `highWaterMark` (16 KiB, node's socket default) as
 *   `socket.write` does.
 * - A class, as `Http1Sink` is: thousands of idle streams share its methods.
 *
 * Written here rather than with the stream's own queue (`ByteLengthQueuingStrategy` and
 * `desiredSize`): that queue cannot say when its last chunk was taken (`finished`), which
 * the hub's slow-subscriber grace needs.
 *
 * @example
 * ```ts
 * const sink = new ReadableStreamSink();
 * const response = new Response(sink.stream, { headers: { 'Content-Type': 'multipart/mixed' } });
 * sink.write(part); // read by the runtime when it can take it
 * ```
 */
export class ReadableStreamSink implements StreamSink {
  readonly framing = 'raw' as const;
  /** The response body. */
  readonly stream: ReadableStream<Uint8Array>;
  readonly #highWaterMark: number;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Parts not taken yet, from `#head` on (a queue without `shift`'s copying). */
  #queue: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  /** The runtime asked for a part and got none yet: the next `write` goes straight to it. */
  #asking = false;
  /** `open`; `ending` (end called, parts left); `ended` (all taken); `gone` (cancelled, cut). */
  #state: 'open' | 'ending' | 'ended' | 'gone' = 'open';
  #onClose: Array<() => void> = [];

  /** The next part must wait for the pace's tick (it just handed one over). */
  #resting = false;
  readonly #pacer: Pacer | undefined;

  constructor(options: ReadableSinkOptions = {}) {
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    const pace = options.pace ?? 'timer';
    this.#pacer = pace === 'none' ? undefined : PACERS[pace];
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#asking = true;
          this.#give();
        },
        // RSP-8: the runtime cancels the body when its client goes away.
        cancel: () => this.#close('gone'),
      },
      { highWaterMark: 0 },
    );
  }

  write(bytes: Uint8Array): boolean {
    if (this.#state !== 'open') return false;
    if (this.#asking && !this.#resting && this.#queued === 0) {
      this.#hand(bytes);
      return true;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    return this.#queued < this.#highWaterMark;
  }

  get bufferedBytes(): number {
    return this.#queued;
  }

  end(last: Uint8Array): void {
    if (this.#state !== 'open') return;
    if (last.length > 0) {
      this.#queue.push(last);
      this.#queued += last.length;
    }
    this.#state = 'ending';
    this.#give();
  }

  /** Errors the body: the runtime aborts the response (a subscriber that stopped reading). */
  destroy(): void {
    if (this.#state === 'gone' || this.#state === 'ended') return;
    this.#controller!.error(new Error('the subscriber stopped reading'));
    this.#close('gone');
  }

  get closed(): boolean {
    return this.#state === 'gone';
  }

  get finished(): boolean {
    return this.#state === 'ended';
  }

  /** Calls `listener` once when the body ends (all taken), is cancelled or is cut. */
  onClose(listener: () => void): void {
    if (this.#state === 'gone' || this.#state === 'ended') listener();
    else this.#onClose.push(listener);
  }

  /** The pace's tick: the next part may go. */
  rested(): void {
    this.#resting = false;
    this.#give();
  }

  /** Hands the runtime the next part if it asked for one; ends the body after the last. */
  #give(): void {
    if (!this.#asking || this.#resting) return;
    const next = this.#queue[this.#head];
    if (next !== undefined) {
      this.#queue[this.#head++] = EMPTY;
      this.#queued -= next.length;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#hand(next);
    }
    if (this.#state === 'ending' && this.#queued === 0 && this.#head === this.#queue.length) {
      this.#controller!.close();
      this.#close('ended');
    }
  }

  #hand(bytes: Uint8Array): void {
    this.#asking = false;
    this.#controller!.enqueue(bytes);
    if (this.#pacer) {
      this.#resting = true;
      this.#pacer.add(this);
    }
  }

  #close(state: 'ended' | 'gone'): void {
    if (this.#state === 'gone' || this.#state === 'ended') return;
    this.#state = state;
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    const listeners = this.#onClose;
    this.#onClose = [];
    for (const listener of listeners) listener();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * One timer for every resting sink of a pace: a broadcast to thousands of streams sets one
 * timer, not one each.
 */
class Pacer {
  #resting = new Set<ReadableStreamSink>();
  #scheduled = false;
  readonly #schedule: (tick: () => void) => void;

  constructor(schedule: (tick: () => void) => void) {
    this.#schedule = schedule;
  }

  add(sink: ReadableStreamSink): void {
    this.#resting.add(sink);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.#tick());
  }

  #tick(): void {
    this.#scheduled = false;
    const resting = this.#resting;
    this.#resting = new Set();
    for (const sink of resting) sink.rested();
  }
}

const PACERS = {
  turn: new Pacer((tick) => setImmediate(tick)),
  timer: new Pacer((tick) => setTimeout(tick, 0)),
};
