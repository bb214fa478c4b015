import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpError, sendProblem } from '../http-error.js';

/**
 * HTTP/1.1 connections that carry a notifications stream. Responses on a connection go out
 * in request order, and a stream's never ends on its own: a request pipelined behind it
 * could be executed (node:http reads and runs it at once) but never answered, and a write
 * whose response is never sent holds up every later notification of its resource (N822-3)
 * for `writerStallMs`. So a request that arrives behind a GET asking for notifications, on
 * the same connection, is not executed: the stream is ended cleanly (both close delimiters;
 * its client may resume elsewhere with `Last-Event-ID`), the request gets a 400
 * `PIPELINED_AFTER_STREAM` with `Connection: close` right after it, and the connection
 * closes. Requests pipelined behind anything else are served as always.
 *
 * @example
 * ```ts
 * const connections = new StreamConnections();
 * if (!connections.admit(req, res)) return; // answered already
 * ```
 */
export class StreamConnections {
  /** The latest request of each connection that asked for notifications, by its response. */
  readonly #asked = new WeakMap<Socket, ServerResponse>();
  /** How to end the stream open on a response. */
  readonly #ends = new WeakMap<ServerResponse, () => void>();
  /** Connections that had a request refused: everything after it is refused too. */
  readonly #refused = new WeakSet<Socket>();

  /**
   * Whether `req` may be handled; false when it was pipelined behind a (would-be) stream and
   * has been answered here. HTTP/2 requests always may (they have streams of their own).
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.httpVersionMajor !== 1) return true;
    const socket = req.socket;
    const ahead = this.#asked.get(socket);
    if (this.#refused.has(socket) || (ahead !== undefined && !ahead.writableEnded)) {
      this.#refused.add(socket);
      if (ahead) this.#ends.get(ahead)?.();
      sendProblem(
        req,
        res,
        new HttpError(
          400,
          'PIPELINED_AFTER_STREAM',
          'This request was sent on a connection that carries a notifications stream, which ' +
            'cannot be answered before the stream ends: it was not executed, and the stream ' +
            'was closed. Send requests on another connection.',
        ),
        [['Connection', 'close']],
      );
      return false;
    }
    if (req.method === 'GET' && req.headers['accept-events'] !== undefined)
      this.#asked.set(socket, res);
    return true;
  }

  /** The stream of `req` is open and `end` ends it (see `StreamTarget.onOpen`). */
  opened(req: IncomingMessage, res: ServerResponse, end: () => void): void {
    if (req.httpVersionMajor !== 1) return;
    // A request came in behind it while it was being opened.
    if (this.#refused.has(req.socket)) end();
    else this.#ends.set(res, end);
  }
}
