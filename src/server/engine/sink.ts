import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as h2constants, type Http2Stream } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * Where a notifications stream's bytes go. The hub writes the same pre-built bytes to
 * thousands of sinks, so a sink takes them as they are and adds nothing per write.
 *
 * Two forms exist because cost per delivery is the whole game (DESIGN.md, "Fan-out"):
 * - `chunked`: HTTP/1.1, where we own the chunked framing and write pre-framed chunks
 *   (`<hex length> CRLF <part> CRLF`, built once per channel) straight to the socket.
 *   `res.write` per part costs several times more CPU (chunk header, corking, bookkeeping).
 * - `raw`: anything else (HTTP/2 streams, a pipelined HTTP/1.1 response that has no socket
 *   yet): plain parts written through the response, which frames them itself. The hub hands
 *   a raw sink one part per `write` (RSP-6: each write ends with a delimiter), and the sink
 *   keeps each write its own chunk or DATA frame.
 */
export interface StreamSink {
  /** Which form of bytes `write` takes. */
  readonly framing: 'chunked' | 'raw';
  /** Writes bytes; false when the transport buffer is above its high-water mark. */
  write(bytes: Uint8Array): boolean;
  /** Bytes accepted but not yet handed to the kernel. */
  readonly bufferedBytes: number;
  /** Writes the last bytes and ends the response. */
  end(last: Uint8Array): void;
  /** Tears the connection down at once (a subscriber that stopped reading). */
  destroy(): void;
  /** Whether the connection is gone. */
  readonly closed: boolean;
  /** Whether the response was ended and all of it handed to the OS (the socket may be reused). */
  readonly finished: boolean;
}

const CRLF = Buffer.from('\r\n');

/** Frames bytes as one HTTP/1.1 chunk: `<hex length> CRLF <bytes> CRLF`. */
export function frameChunk(bytes: Uint8Array): Buffer {
  const head = Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([head, bytes, CRLF], head.length + bytes.length + 2);
}

/**
 * A sink over a node:http response whose head has been written. With HTTP/1.1 chunked
 * encoding and a socket of its own, later writes bypass `res.write` and go to the socket
 * pre-framed; `res.end()` then writes the terminating `0 CRLF CRLF` in order, so the
 * connection stays reusable. Otherwise it falls back to `res.write`.
 */
export function createHttp1Sink(req: IncomingMessage, res: ServerResponse): StreamSink {
  res.flushHeaders();
  // A response owns `res.socket` only while it is the one being sent (no pipelining ahead
  // of it), and `chunkedEncoding` says Node frames the body: then the framing is ours.
  const socket: Socket | null = res.chunkedEncoding && res.socket ? res.socket : null;
  if (socket && req.httpVersionMajor === 1) return new Http1Sink(socket, res);
  return createResponseSink(res);
}

/**
 * The HTTP/1.1 sink: a class, so its methods live once on the prototype. Thousands of idle
 * streams each holding an object of closures cost about 1 KB more per subscriber (measured
 * with heap snapshots in bench/heap-diff.ts).
 */
class Http1Sink implements StreamSink {
  readonly framing = 'chunked' as const;
  readonly #socket: Socket;
  readonly #res: ServerResponse;

  constructor(socket: Socket, res: ServerResponse) {
    this.#socket = socket;
    this.#res = res;
  }

  write(bytes: Uint8Array): boolean {
    return this.#socket.write(bytes);
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  end(last: Uint8Array): void {
    if (this.#socket.destroyed) return;
    if (last.length > 0) this.#socket.write(last);
    this.#res.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  get closed(): boolean {
    return this.#socket.destroyed || this.#res.destroyed;
  }

  get finished(): boolean {
    return this.#res.writableFinished;
  }
}

/** A sink that writes through the response object (HTTP/2, or no socket of its own). */
export function createResponseSink(res: {
  write(b: Uint8Array): boolean;
  end(b?: Uint8Array): unknown;
  destroy(): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
}): StreamSink {
  return {
    framing: 'raw',
    write: (bytes) => res.write(bytes),
    get bufferedBytes() {
      return res.writableLength;
    },
    end(last) {
      if (res.destroyed || res.writableEnded) return;
      res.end(last);
    },
    destroy: () => void res.destroy(),
    get closed() {
      return res.destroyed;
    },
    get finished() {
      return res.writableFinished;
    },
  };
}

/**
 * The writable side of an HTTP/2 response: a `node:http2` compat `Http2ServerResponse` (whose
 * head has been written) or a core `ServerHttp2Stream` (after `respond()`).
 */
export interface Http2Writable {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): boolean;
  end(): unknown;
  end(chunk: Uint8Array): unknown;
}

/**
 * A sink over an HTTP/2 stream that keeps every write its own DATA frame (RSP-6).
 *
 * node:http2 frames what a stream has queued when the session next sends, so writes made
 * in the same turn share DATA frames (`write('a'); write('b')` can leave as one frame
 * `ab`), and a delimiter would then end in the middle of a frame. Here a write is handed to
 * the stream only once the previous one has been sent (its callback ran); until then it
 * waits in a queue of its own, which counts towards `bufferedBytes` (and so towards the
 * hub's slow-subscriber bound). The cost is one callback per part, and no coalescing of
 * parts on HTTP/2, where every part must end a frame anyway.
 *
 * @example
 * ```ts
 * import type { Http2ServerResponse } from 'node:http2';
 *
 * declare const res: Http2ServerResponse, part1: Uint8Array, part2: Uint8Array;
 * res.writeHead(200, { 'content-type': 'multipart/mixed; boundary="M"' });
 * const sink = createHttp2Sink(res, res.stream);
 * sink.write(part1); sink.write(part2); // two DATA frames
 * ```
 */
export function createHttp2Sink(out: Http2Writable, stream: Http2Stream): StreamSink {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let writing = false;
  /** The last bytes to write before ending, once `end` was called; null before. */
  let last: Uint8Array | null = null;
  let ended = false;
  const isClosed = (): boolean => stream.destroyed || stream.closed;

  const pump = (): void => {
    while (!writing) {
      if (isClosed()) {
        queue.length = 0;
        queued = 0;
        return;
      }
      const next = queue.shift();
      if (next === undefined) {
        if (last !== null && !ended) {
          ended = true;
          const bytes = last;
          last = null;
          if (bytes.length > 0) out.end(bytes);
          else out.end();
        }
        return;
      }
      queued -= next.length;
      writing = true;
      out.write(next, () => {
        writing = false;
        pump();
      });
    }
  };

  return {
    framing: 'raw',
    write(bytes) {
      if (ended || last !== null || isClosed()) return false;
      queue.push(bytes);
      queued += bytes.length;
      pump();
      return queued + stream.writableLength < stream.writableHighWaterMark;
    },
    get bufferedBytes() {
      return queued + stream.writableLength;
    },
    end(bytes) {
      if (ended || last !== null || isClosed()) return;
      last = bytes;
      pump();
    },
    // Only this stream: the connection carries the client's other streams.
    destroy: () => {
      if (!stream.destroyed) stream.close(h2constants.NGHTTP2_CANCEL);
    },
    get closed() {
      return isClosed();
    },
    get finished() {
      return ended && stream.writableFinished;
    },
  };
}
