import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import { noteStream } from './request-record.js';
import { createHttp1Sink, createHttp2Sink, type StreamSink } from './sink.js';

/**
 * What the engine needs of the response a notifications stream goes out on, whatever the
 * transport: whether the client is still there, a way to send the head and get the body's
 * sink, and word when the response closes. One per notifications response.
 *
 * @example
 * ```ts
 * declare const base: BaseResponse, target: StreamTarget; // the resource's response, who and what
 * const negotiation = await engine.negotiate('GET', req.headers, 200, target);
 * const transport = createNodeTransport(req, res); // node:http or node:http2 compat
 * if (negotiation.kind === 'stream') await engine.streamTo(transport, base, negotiation, target);
 * ```
 */
export interface PrepTransport {
  /** The request's header fields (`Last-Event-ID`). */
  readonly requestHeaders: IncomingHttpHeaders;
  /** The client went away already (RSP-8: then nothing is subscribed). */
  readonly gone: boolean;
  /** `1.1`, `2`: for the count of open streams by HTTP version (metrics). */
  readonly httpVersion?: string;
  /**
   * Sends the response head, status 200 (RSP-1), with these fields in order, and returns the
   * sink the body goes to. Over HTTP/2 repeated names are joined into one field.
   */
  open(headers: ReadonlyArray<readonly [string, string]>): StreamSink;
  /** Calls `listener` once when the response closes: ended, or the client is gone. */
  onClose(listener: () => void): void;
}

/** A node:http or node:http2 compat request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
/** A node:http or node:http2 compat response. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** Whether a compat pair is HTTP/2 (a TLS server with `allowHTTP1` serves both kinds). */
export function isHttp2Response(res: NodeResponse): res is Http2ServerResponse {
  return 'stream' in res && res.stream !== undefined;
}

/**
 * The transport of a `node:http` response (HTTP/1.1: pre-framed chunks straight to the
 * socket) or of a `node:http2` compat response (each part its own DATA frame).
 *
 * @example
 * ```ts
 * import http2 from 'node:http2';
 *
 * declare const base: BaseResponse, target: StreamTarget; // the resource's response, who and what
 * http2.createServer(async (req, res) => {
 *   const n = await engine.negotiate(req.method, req.headers, 200, target);
 *   if (n.kind === 'stream') await engine.streamTo(createNodeTransport(req, res), base, n, target);
 * });
 * ```
 */
export function createNodeTransport(req: NodeRequest, res: NodeResponse): PrepTransport {
  if (isHttp2Response(res)) return createHttp2CompatTransport(req as Http2ServerRequest, res);
  return createHttp1Transport(req as IncomingMessage, res);
}

/** The transport of a node:http (HTTP/1.x) response. */
export function createHttp1Transport(req: IncomingMessage, res: ServerResponse): PrepTransport {
  return {
    requestHeaders: req.headers,
    httpVersion: req.httpVersion,
    get gone() {
      return res.destroyed || req.socket.destroyed;
    },
    open(headers) {
      res.writeHead(200, headers.flat());
      noteStream(res);
      return createHttp1Sink(req, res);
    },
    onClose(listener) {
      res.once('close', listener);
    },
  };
}

/** The transport of a node:http2 compat response (`http2.createServer((req, res) => ...)`). */
export function createHttp2CompatTransport(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): PrepTransport {
  const stream = res.stream;
  return {
    requestHeaders: req.headers,
    httpVersion: '2',
    get gone() {
      return stream.destroyed || stream.closed;
    },
    open(headers) {
      res.writeHead(200, http2Fields(headers));
      noteStream(res);
      return createHttp2Sink(res, stream);
    },
    onClose(listener) {
      res.once('close', listener);
    },
  };
}

/**
 * The transport of a node:http2 core stream (`server.on('stream', (stream, headers) => ...)`).
 *
 * @example
 * ```ts
 * import http2 from 'node:http2';
 *
 * declare const base: BaseResponse, target: StreamTarget; // the resource's response, who and what
 * const server = http2.createServer();
 * server.on('stream', async (stream, headers) => {
 *   const n = await engine.negotiate('GET', headers, 200, target);
 *   if (n.kind === 'stream') await engine.streamTo(createHttp2StreamTransport(stream, headers), base, n, target);
 * });
 * ```
 */
export function createHttp2StreamTransport(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
): PrepTransport {
  // A write after the client reset the stream emits 'error'; the stream is done with then.
  if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  return {
    requestHeaders: headers,
    httpVersion: '2',
    get gone() {
      return stream.destroyed || stream.closed;
    },
    open(fields) {
      stream.respond({ ':status': 200, ...http2Fields(fields) });
      return createHttp2Sink(stream, stream);
    },
    onClose(listener) {
      stream.once('close', listener);
    },
  };
}

/**
 * Header fields for HTTP/2: lower-case names, repeated names joined with `, ` (Set-Cookie
 * kept as a list), and none of the connection-specific fields HTTP/2 forbids
 * (RFC 9113 §8.2.2).
 */
export function http2Fields(
  headers: ReadonlyArray<readonly [string, string]>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(n)) continue;
    const prev = out[n];
    if (prev === undefined) out[n] = n === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[n] = `${prev}, ${value}`;
  }
  return out;
}

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
