/**
 * A writer whose response cannot be sent yet, in any adapter: requests with `X-Hold: 1`
 * have their response held back after the app's handler ran (so after its `prep.notify`),
 * until the test releases it. Each adapter's test wires it in its own way (`wrap` for
 * node-style responses, `beforeSend` for Fastify's onSend hook, `fetch` for a fetch
 * handler in Bun or Deno). `log` records, in order,
 * when held responses finished (`finish`); the behaviour suite adds the hub's publications.
 */
import type { IncomingMessage } from 'node:http';

export const HOLD_HEADER = 'x-hold';

type NodeReq = Pick<IncomingMessage, 'headers'>;
interface NodeRes {
  once(event: 'finish', listener: () => void): unknown;
}

export class WriterHold {
  readonly log: string[] = [];
  #markHeld: () => void = () => undefined;
  readonly #held = new Promise<void>((resolve) => (this.#markHeld = resolve));
  #open: () => void = () => undefined;
  readonly #released = new Promise<void>((resolve) => (this.#open = resolve));

  /** Resolves once a held response was ready to go (its handler ran). */
  held(): Promise<void> {
    return this.#held;
  }

  /** Lets held responses go. */
  release(): void {
    this.#open();
  }

  /** For node:http-style responses: holds `res.end` of a request with `X-Hold`. */
  wrap(req: NodeReq, res: NodeRes): void {
    if (req.headers[HOLD_HEADER] === undefined) return;
    res.once('finish', () => this.log.push('finish'));
    const target = res as unknown as { end: (...args: unknown[]) => unknown };
    const end = target.end;
    target.end = (...args: unknown[]) => {
      this.#markHeld();
      void this.#released.then(() => end.apply(res, args));
      return res;
    };
  }

  /**
   * For a fetch handler where no node response exists (Bun, Deno): the handler's `Response`
   * is handed back only once released; `finish` is logged then, when the runtime gets it.
   */
  async fetch(request: Request, response: Response | Promise<Response>): Promise<Response> {
    if (!request.headers.has(HOLD_HEADER)) return response;
    const held = await response;
    this.#markHeld();
    await this.#released;
    this.log.push('finish');
    return held;
  }

  /** For a hook that runs after the handler and before sending (Fastify's onSend). */
  async beforeSend(req: NodeReq, res: NodeRes): Promise<void> {
    if (req.headers[HOLD_HEADER] === undefined) return;
    res.once('finish', () => this.log.push('finish'));
    this.#markHeld();
    await this.#released;
  }
}
