import type { SinkPace } from '../engine/readable-sink.js';
import type { WriterResponse } from '../log/announcer.js';

/**
 * What the runtime under a fetch handler tells about one request, read from what it passes
 * after the `Request` (Bun's `server`, Deno's `info`, `@hono/node-server`'s
 * `{ incoming, outgoing }`, Hono's `c.env`, which is that same value):
 *
 * | runtime                | client address                 | when the response was sent (N822-3)                 | RSP-6 pace |
 * | ---------------------- | ------------------------------ | --------------------------------------------------- | ---------- |
 * | `@hono/node-server`    | `incoming.socket.remoteAddress` | `outgoing` 'finish': handed to the OS, exactly     | `none`     |
 * | Deno (`Deno.serve`)    | `info.remoteAddr.hostname`     | `info.completed`: fully sent, exactly               | `timer`    |
 * | Bun (`Bun.serve`)      | `server.requestIP(request)`    | no word: once Bun read the body to its end, or a timer after a body-less response was returned | `turn` |
 * | anything else (workerd) | unknown (`clientOf`)          | as Bun                                              | `timer`    |
 */
export interface FetchRuntime {
  /** The key of the per-client limit (SEC-2), when the runtime tells the remote address. */
  client: string | undefined;
  /** Node's response under the handler (`@hono/node-server`): the writer's response itself. */
  writer: WriterResponse | undefined;
  /** Settles once the response has been sent or has failed (Deno's `info.completed`). */
  completed: Promise<unknown> | undefined;
  /** How a stream's sink hands parts to the runtime (see `SinkPace`). */
  pace: SinkPace;
  /**
   * Whether the client has gone already (RSP-8), before its stream exists: the request's
   * signal, but on Deno, which aborts it when a response completes (and warns when it is
   * read), never: there a body cancelled by the runtime says it.
   */
  gone: () => boolean;
}

interface NodeServerEnv {
  incoming?: { socket?: { remoteAddress?: string } };
  outgoing?: WriterResponse;
}
interface DenoInfo {
  remoteAddr?: { hostname?: string };
  completed?: Promise<unknown>;
}
interface BunServer {
  requestIP?(request: Request): { address: string } | null;
}

/** What the runtime tells about `request`, from the value it passed after it (`extra`). */
export function fetchRuntime(request: Request, extra: unknown): FetchRuntime {
  const value = (typeof extra === 'object' && extra !== null ? extra : {}) as NodeServerEnv &
    DenoInfo &
    BunServer;
  const outgoing = value.outgoing;
  if (outgoing && typeof outgoing.once === 'function')
    return {
      client: value.incoming?.socket?.remoteAddress,
      writer: outgoing,
      completed: undefined,
      pace: 'none',
      gone: () => request.signal.aborted,
    };
  if ('Bun' in globalThis) {
    let client: string | undefined;
    try {
      client = value.requestIP?.(request)?.address;
    } catch {
      client = undefined; // a request Bun.serve did not receive (a test's own Request)
    }
    return {
      client,
      writer: undefined,
      completed: undefined,
      pace: 'turn',
      gone: () => request.signal.aborted,
    };
  }
  const deno = 'Deno' in globalThis;
  return {
    client: value.remoteAddr?.hostname,
    writer: undefined,
    completed: value.completed instanceof Promise ? value.completed : undefined,
    pace: 'timer',
    gone: deno ? () => false : () => request.signal.aborted,
  };
}
