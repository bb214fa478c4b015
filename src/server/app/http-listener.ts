import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Store } from '../../store/index.js';
import { HttpError, sendProblem } from '../http-error.js';
import {
  formatRequestLine,
  refusedRecord,
  requestWatcher,
  type RequestObservers,
} from '../engine/request-record.js';
import { DEFAULTS } from '../settings.js';
import { listenOn } from '../adapters/listen.js';
import { checkRequestHead } from './request-head.js';
import { createResourceServer, type ResourceServerOptions } from './resource-server.js';

/** Where and how a listener listens (`startServer`, `startProxy`); each has a default. */
export interface ListenerOptions extends RequestObservers {
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Largest request head in bytes (node:http answers 431 beyond it). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time allowed to receive a request's headers (slow-loris guard). Default 10 000 ms. */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (headers and body). Default 30 000 ms. */
  requestTimeoutMs?: number;
}

/** Options of {@link startServer}. */
export interface ServerOptions extends Omit<ResourceServerOptions, 'store'>, ListenerOptions {
  store: Store;
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
  /**
   * A graceful shutdown: stops accepting connections, refuses new streams, waits (up to
   * `timeoutMs`) for the requests under way to be answered and this process's writes to be
   * announced, then `close()`s. Resolves true when nothing was cut short.
   */
  drain(timeoutMs: number): Promise<boolean>;
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
  const server = createGuardedServer((req, res) => app.handle(req, res), {
    ...options,
    maxBodyBytes: app.maxBodyBytes,
  });
  // A long-lived stream is not a slow request: the request timeout only covers receiving the
  // request (Node applies it until the request is complete), so streams are unaffected.
  const { port, url } = await listen(
    server,
    options.port ?? DEFAULTS.port,
    options.host ?? DEFAULTS.host,
  );
  const running: RunningServer = {
    server,
    app,
    port,
    url,
    async close() {
      await app.close();
      await closeServer(server);
    },
    async drain(timeoutMs) {
      const until = Date.now() + timeoutMs;
      server.close();
      server.closeIdleConnections();
      const settled = await app.drain(until);
      await running.close();
      return settled;
    },
  };
  return running;
}

/** The guards of {@link createGuardedServer}; each has a documented default. */
export interface GuardOptions extends Omit<ListenerOptions, 'port' | 'host'> {
  /** A client waiting for `100 Continue` with a larger body gets the 413 instead. */
  maxBodyBytes: number;
}

/**
 * The node:http server of `prep serve` and `prep proxy`, in front of `handle`: bounded
 * request heads, slow-loris timeouts, `Host` required on HTTP/1.1, `Expect` other than
 * `100-continue` refused, problem+json for what node's parser refuses, a request log.
 *
 * @example
 * ```ts
 * const server = createGuardedServer(app.handle, { maxBodyBytes: 1 << 20 });
 * await listen(server, 8080, '127.0.0.1');
 * ```
 */
export function createGuardedServer(
  handle: http.RequestListener,
  options: GuardOptions,
): http.Server {
  const watch = requestWatcher(options);
  const headersTimeout = options.headersTimeoutMs ?? DEFAULTS.headersTimeout;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULTS.requestTimeout;
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes,
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
      watch?.(req, res);
      // RFC 9112 §3.2 (Host required on HTTP/1.1), and fields that must not repeat.
      const refused = checkRequestHead(req);
      if (refused) {
        sendProblem(req, res, refused, [['Connection', 'close']]);
        return;
      }
      void handle(req, res);
    },
  );
  // A client that waits for `100 Continue` before sending a body over the limit gets the 413
  // instead, and sends nothing (RFC 9110 §10.1.1); node would otherwise say "continue".
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!(Number(req.headers['content-length']) > options.maxBodyBytes)) res.writeContinue();
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
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const answered = answerClientError(err, socket);
    if (!answered) return;
    const record = refusedRecord(
      (socket as { remoteAddress?: string }).remoteAddress ?? '-',
      answered.status,
      answered.code,
    );
    options.onRequest?.(record);
    options.log?.(formatRequestLine(record));
  });
  return server;
}

/** Listens on `host:port` (0: a free port); resolves with the port and `http://host:port`. */
export function listen(
  server: http.Server,
  port: number,
  host: string,
): Promise<{ port: number; url: string }> {
  return listenOn(server, port, host, 'http');
}

/** Closes `server` once its streams were ended: idle connections now, the rest after 1 s. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Streams were ended above; anything still open after a moment is cut.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
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
function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
): { status: number; code: string } | undefined {
  // As node does: answer only when nothing of a response has been written on this connection.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return undefined;
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
  return known;
}
