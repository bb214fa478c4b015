import type { IncomingHttpHeaders } from 'node:http';
import { formatHttpDate } from '@prep-live/client/core';
import { ReadableStreamSink, type ReadableSinkOptions } from './readable-sink.js';
import type { PrepTransport } from './transport.js';

/** The transport of a fetch handler's notifications response, and that response. */
export interface FetchTransport extends PrepTransport {
  /** Resolves with the `Response` to return once the engine has opened it (`open`). */
  readonly response: Promise<Response>;
  /** Cuts the body if it was opened (the stream failed after its head went out). */
  abort(): void;
}

/**
 * The transport of a notifications response in a fetch handler (`(Request) => Response`:
 * Bun, Deno, `@hono/node-server`, workerd): `open` makes the `Response`, 200 with the
 * engine's head (RSP-1) and a `ReadableStreamSink` as its body; the handler returns it
 * (`response`). The client has gone when the request's signal aborts or the runtime
 * cancels the body (RSP-8): Bun, Deno and `@hono/node-server` do when the connection
 * closes. Before the body exists, `gone()` says it (the request's signal, where it means
 * that).
 *
 * @example
 * ```ts
 * const transport = createFetchTransport({ headers: request.headers, gone: () => request.signal.aborted });
 * void engine.streamTo(transport, base, negotiation, target);
 * return transport.response;
 * ```
 */
export function createFetchTransport(
  request: { readonly headers: Headers; gone?(): boolean },
  options: ReadableSinkOptions = {},
): FetchTransport {
  let resolve!: (response: Response) => void;
  const response = new Promise<Response>((r) => (resolve = r));
  let sink: ReadableStreamSink | undefined;
  const listeners: Array<() => void> = [];
  return {
    requestHeaders: headerRecord(request.headers),
    response,
    get gone() {
      return sink ? sink.closed : request.gone?.() === true;
    },
    abort() {
      sink?.destroy();
    },
    open(headers) {
      sink = new ReadableStreamSink(options);
      const opened = sink;
      for (const listener of listeners.splice(0)) opened.onClose(listener);
      const fields = new Headers();
      for (const [name, value] of headers) fields.append(name, value);
      // RSP-1: Date. Node, Bun and Deno add it to a response that has none; workerd's local
      // server (Miniflare) does not.
      if (!fields.has('date')) fields.set('Date', formatHttpDate(new Date()));
      resolve(new Response(opened.stream, { status: 200, headers: fields }));
      return opened;
    },
    onClose(listener) {
      if (sink) sink.onClose(listener);
      else listeners.push(listener);
    },
  };
}

/** A fetch `Headers` as node's header record (lower-case names; the engine reads a few). */
export function headerRecord(headers: Headers): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
