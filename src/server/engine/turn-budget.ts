/**
 * Keeps a long piece of work from holding the event loop (SEC-2: no request stalls the
 * others): the work asks `due` between steps and, when this turn's few milliseconds are
 * spent, awaits `next()`, which lets timers, sockets and other requests run first.
 *
 * @example
 * ```ts
 * const turn = new TurnBudget();
 * for (const step of steps) {
 *   if (turn.due) await turn.next();
 *   run(step);
 * }
 * ```
 */
export class TurnBudget {
  #start = performance.now();

  /** `ms`: how long the work may run in one turn. Default 4. */
  constructor(readonly ms = 4) {}

  /** Whether this turn's time is spent. */
  get due(): boolean {
    return performance.now() - this.#start >= this.ms;
  }

  /** Yields to the event loop (after I/O callbacks), then starts a new turn. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#start = performance.now();
  }
}
