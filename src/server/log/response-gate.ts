import type { Gate } from './announcer.js';
import type { ResponseSignal } from './response-signal.js';

/**
 * The response of the request that made a change: a node:http `ServerResponse`, a node:http2
 * compat `Http2ServerResponse` (Express's `res`, Fastify's `reply.raw` are these).
 */
export interface WriterResponse {
  once(event: 'finish' | 'close', listener: () => void): unknown;
  off(event: 'finish' | 'close', listener: () => void): unknown;
  /** The whole response was handed to the OS. */
  readonly writableFinished?: boolean;
  destroy(): unknown;
}

/**
 * Whose response a change waits for: a node response (`responseGate`), or a
 * `ResponseSignal` (a fetch handler's `Response`, which has no object to watch).
 */
export type Writer = WriterResponse | ResponseSignal;

/**
 * N822-3: opens once `res` has been sent ('finish': its last byte was handed to the OS), or
 * once its writer has gone ('close' without 'finish': nothing committed goes unannounced,
 * N822-2). When it stalls others, the writer is disconnected.
 *
 * @example
 * ```ts
 * declare const announcer: Announcer, events: HubEvent[]; // a write's events
 * announcer.hold(responseGate(res), events);
 * ```
 */
export function responseGate(res: WriterResponse): Gate {
  // An HTTP/1.1 response pipelined behind another has no socket of its own yet, and never
  // emits 'close' if the connection goes: watch the connection too.
  const socket = http1Socket(res);
  let done: (() => void) | undefined;
  return {
    watch(open) {
      const ready = (): void => {
        if (!done) return;
        done = undefined;
        res.off('finish', ready);
        res.off('close', ready);
        socket?.off('close', ready);
        open();
      };
      done = ready;
      res.once('finish', ready);
      res.once('close', ready);
      socket?.once('close', ready);
      if (res.writableFinished === true || isGone(res) || socket?.destroyed === true) ready();
    },
    stalled: () => disconnect(res),
    dispose() {
      if (!done) return;
      res.off('finish', done);
      res.off('close', done);
      socket?.off('close', done);
      done = undefined;
    },
  };
}

interface SocketLike {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

/** The connection of an HTTP/1.x response (not HTTP/2: there it is the whole session's). */
function http1Socket(res: WriterResponse): SocketLike | undefined {
  if ('stream' in res) return undefined;
  const req = (res as { req?: { socket?: SocketLike | null } }).req;
  return req?.socket ?? undefined;
}

function isGone(res: WriterResponse): boolean {
  const r = res as { destroyed?: boolean; stream?: { destroyed: boolean; closed: boolean } };
  return r.destroyed === true || r.stream?.destroyed === true || r.stream?.closed === true;
}

/** Cuts a writer that does not take its response: its connection, or on HTTP/2 its stream. */
function disconnect(res: WriterResponse): void {
  const socket = http1Socket(res);
  if (socket) socket.destroy();
  else res.destroy();
}
