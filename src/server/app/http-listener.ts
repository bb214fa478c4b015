import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Store } from '../../store/index.js';
import { HttpError, sendProblem } from '../http-error.js';
import {
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
} from './resource-server.js';

/** The bounds and log of an HTTP/1.1 server (`startServer`; `startHttp2Server`'s h2c port). */
export interface Http1Options {
  /** Largest request head in bytes (node:http answers 431 beyond it). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time allowed to receive a request's headers (slow-loris guard). Default 10 000 ms. */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (headers and body). Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** One line per request; default none. */
  log?: (line: string) => void;
}

/** Options of {@link startServer}. */
export interface ServerOptions extends Omit<ResourceServerOptions, 'store'>, Http1Options {
  store: Store;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
}

/** A running server. */
export interface RunningServer {
  server: http.Server;
  /** `http://host:port` */
  url: string;
  port: number;
  app: ReturnType<typeof createResourceServer>;
  /** Closes every stream with its close delimiters (RSP-7), then the listener. The store stays open. */
  close(): Promise<void>;
}

/**
 * Starts the PREP resource server on node:http.
 *
 * @example
 * ```ts
 * const store = new SqliteStore({ filename: './data/prep.db' });
 * await store.open();
 * const { url, close } = await startServer({ store, port: 8080 });
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = createResourceServer(options);
  const server = createHttp1Server(app, options);
  // A long-lived stream is not a slow request: the request timeout only covers receiving the
  // request (Node applies it until the request is complete), so streams are unaffected.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    app,
    port: address.port,
    url: `http://${host}:${address.port}`,
    async close() {
      await app.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams were ended above; anything still open after a moment is cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
    },
  };
}

/**
 * The node:http server of the resource server `app`, not listening yet: its bounds (head
 * size, slow-loris timeouts), Host required, `Expect` handled, parser errors answered with a
 * problem+json body, and a log line per request. `startServer` listens with it;
 * `startHttp2Server` hands it the HTTP/1.1 connections of its h2c port.
 *
 * @example
 * ```ts
 * const server = createHttp1Server(createResourceServer({ store }), { headersTimeoutMs: 5000 });
 * server.listen(8080);
 * ```
 */
export function createHttp1Server(
  app: Pick<ResourceServer, 'handle' | 'maxBodyBytes'>,
  options: Http1Options = {},
): http.Server {
  const log = options.log;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      headersTimeout,
      requestTimeout,
      // Node enforces both timeouts only when it sweeps its connections, every 30 s by
      // default; sweep often enough that a slow-loris client is cut near the limit it was given.
      connectionsCheckingInterval: sweepInterval(headersTimeout, requestTimeout),
      keepAliveTimeout: 5_000,
      // Checked below, so that the 400 carries a problem+json body like every other error.
      requireHostHeader: false,
    },
    (req, res) => {
      if (log) {
        const started = performance.now();
        // Read now: by 'close' the socket may be gone (req.socket is then null).
        const remote = req.socket.remoteAddress ?? '-';
        const streaming = () => res.getHeader('Events')?.toString().includes('status=200') ?? false;
        res.once('close', () => {
          const ms = (performance.now() - started).toFixed(1);
          const note = streaming() ? ' (stream closed)' : '';
          log(
            `${new Date().toISOString()} ${remote} ${req.method} ${req.url} ${res.statusCode} ${ms}ms${note}`,
          );
        });
      }
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
      if (
        req.headers.host === undefined &&
        req.httpVersionMajor === 1 &&
        req.httpVersionMinor >= 1
      ) {
        sendProblem(
          req,
          res,
          new HttpError(400, 'HOST_REQUIRED', 'An HTTP/1.1 request needs a Host header.'),
          [['Connection', 'close']],
        );
        return;
      }
      app.handle(req, res);
    },
  );
  // A client that waits for `100 Continue` before sending a body over the limit gets the 413
  // instead, and sends nothing (RFC 9110 §10.1.1); node would otherwise say "continue".
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!(Number(req.headers['content-length']) > app.maxBodyBytes)) res.writeContinue();
    server.emit('request', req, res);
  });
  // RFC 9110 §10.1.1: an expectation other than 100-continue cannot be met (417); node would
  // answer it with an empty body.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    sendProblem(
      req,
      res,
      new HttpError(
        417,
        'EXPECTATION_FAILED',
        `Expect: ${String(req.headers.expect).slice(0, 100)} cannot be met; only 100-continue is.`,
      ),
      [['Connection', 'close']],
    );
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(err, socket),
  );
  return server;
}

/** A quarter of the shortest enabled timeout (0 disables one), within 50 ms to 30 s. */
function sweepInterval(...timeouts: number[]): number {
  const enabled = timeouts.filter((ms) => ms > 0);
  if (enabled.length === 0) return 30_000;
  return Math.min(30_000, Math.max(50, Math.floor(Math.min(...enabled) / 4)));
}

/** What node:http's own parser and timers reject, mapped as node does by default. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    detail: 'The request head is larger than the server accepts.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'CHUNK_EXTENSIONS_TOO_LARGE',
    detail: 'The chunk extensions are larger than the server accepts.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    detail: 'The request was not received in time.',
  },
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers a request node:http refused before it reached the handler (unparsable, a head over
 * `maxHeaderBytes`, too slow) with the same status node would send, but with an
 * `application/problem+json` body like every other error, then closes the connection.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As node does: answer only when nothing of a response has been written on this connection.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const known = (err.code !== undefined ? CLIENT_ERRORS[err.code] : undefined) ?? {
    status: 400,
    code: 'BAD_REQUEST',
    detail: `The request could not be parsed${err.code ? ` (${err.code})` : ''}.`,
  };
  const body = JSON.stringify({
    type: 'about:blank',
    title: TITLES[known.status] ?? 'Bad Request',
    status: known.status,
    code: known.code,
    detail: known.detail,
  });
  const head =
    `HTTP/1.1 ${known.status} ${http.STATUS_CODES[known.status] ?? 'Bad Request'}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n';
  socket.end(head + body, () => socket.destroy());
  // A peer that never reads must not hold the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}
