import type { Gate } from './announcer.js';

/**
 * The writer's response where there is no response object to watch: a fetch handler's
 * `Response`, which the runtime sends after the handler returned. Whoever hands it to the
 * runtime calls `sent()` once the runtime has taken all of it, as far as that runtime lets
 * one know (see `adapters/fetch.ts`); every change made within the request waits on a gate
 * of it (N822-3), and so does nothing but that.
 *
 * @example
 * ```ts
 * const signal = new ResponseSignal(() => body.cancel());
 * const response = await prep.run(signal, () => handler(request)); // notify() waits on it
 * finished.then(() => signal.sent());
 * ```
 */
export class ResponseSignal {
  #sent = false;
  readonly #waiting = new Set<() => void>();
  readonly #cut: () => void;

  /** `cut` tears the response down: a writer that does not take it stalls others (N822-3). */
  constructor(cut: () => void = () => undefined) {
    this.#cut = cut;
  }

  /** Whether the response has been sent (or its client has gone). */
  get isSent(): boolean {
    return this.#sent;
  }

  /**
   * The response has been sent, or its client has gone: nothing committed goes unannounced
   * (N822-2). Opens every gate; later ones open at once.
   */
  sent(): void {
    if (this.#sent) return;
    this.#sent = true;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const open of waiting) open();
  }

  /** A gate that opens once the response has been sent: one per change. */
  gate(): Gate {
    let waiting: (() => void) | undefined;
    return {
      watch: (open) => {
        if (this.#sent) return open();
        waiting = open;
        this.#waiting.add(open);
      },
      stalled: () => this.#cut(),
      dispose: () => {
        if (waiting) this.#waiting.delete(waiting);
      },
    };
  }
}
