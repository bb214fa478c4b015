import http2, {
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type Settings,
} from 'node:http2';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Prep } from '../embed/create-prep.js';
import { routeByPreface } from './h2c-preface.js';
import { listenOn } from './listen.js';
import { prepListener } from './node.js';

/** How an HTTP/2 server is reached. */
export type Http2Mode =
  /**
   * HTTP/2 over TLS (what browsers speak; SEC-4: one connection carries every stream, so
   * the six-connections-per-host cap of HTTP/1.1 no longer bounds subscriptions). PEM key
   * and certificate. `allowHTTP1` (default true) serves HTTP/1.1 clients on the same port.
   */
  | { key: string | Buffer; cert: string | Buffer; allowHTTP1?: boolean }
  /**
   * h2c: HTTP/2 without TLS, by prior knowledge (curl --http2-prior-knowledge, proxies).
   * `allowHTTP1` (default true) serves HTTP/1.1 on the same port too (plain curl, health
   * checks): a connection that does not open with the HTTP/2 preface is handed to a node:http
   * server with the same listener, or to the one given (configured with its own bounds).
   */
  | { h2c: true; allowHTTP1?: boolean | http.Server };

/** Options of {@link createHttp2Server}. */
export type Http2ServerOptions = Http2Mode & {
  /** HTTP/2 SETTINGS sent to clients (e.g. `maxConcurrentStreams`). */
  settings?: Settings;
};

/** A request listener of a node:http2 compat server (with `allowHTTP1`, HTTP/1.1 requests arrive too, with the same API). */
export type Http2Listener = (req: Http2ServerRequest, res: Http2ServerResponse) => unknown;

interface Tracked {
  sessions: Set<Http2Session>;
  /** Every connection, HTTP/1.1 ones (`allowHTTP1`) included. */
  sockets: Set<Socket>;
  /** h2c with `allowHTTP1`: the server of the HTTP/1.1 connections. */
  http1: http.Server | undefined;
}

const tracked = new WeakMap<Http2Server | Http2SecureServer, Tracked>();

/**
 * A node:http2 server (TLS or h2c) for a compat request listener, whose sessions are tracked
 * so that {@link closeHttp2Server} can end them.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 *
 * const listener: Http2Listener = (req, res) => res.end('hello\n');
 * const [key, cert] = [readFileSync('key.pem'), readFileSync('cert.pem')];
 * const server = createHttp2Server(listener, { key, cert });
 * server.listen(8443);
 * ```
 */
export function createHttp2Server(
  listener: Http2Listener,
  options: Http2ServerOptions,
): Http2Server | Http2SecureServer {
  const onRequest = (req: Http2ServerRequest, res: Http2ServerResponse): void =>
    void listener(req, res);
  let http1: http.Server | undefined;
  let server: Http2Server | Http2SecureServer;
  if ('h2c' in options) {
    const h2c = http2.createServer(
      options.settings ? { settings: options.settings } : {},
      onRequest,
    );
    const allow = options.allowHTTP1 ?? true;
    if (allow !== false) {
      // The compat API is the HTTP/1.1 one: the same listener serves both, as with TLS.
      http1 =
        allow === true ? http.createServer(onRequest as unknown as http.RequestListener) : allow;
      // A connection that says nothing is held no longer than a head may take.
      routeByPreface(h2c, http1, http1.headersTimeout > 0 ? http1.headersTimeout : undefined);
    }
    server = h2c;
  } else
    server = http2.createSecureServer(
      {
        key: options.key,
        cert: options.cert,
        allowHTTP1: options.allowHTTP1 ?? true,
        ...(options.settings ? { settings: options.settings } : {}),
      },
      onRequest,
    );
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  tracked.set(server, { sessions, sockets, http1 });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A session error (a client that vanished) must not become an uncaught exception.
    session.on('error', () => undefined);
  });
  return server;
}

/**
 * PREP on node:http2: `createHttp2Server` with the listener wrapped by `prepListener`, so
 * notifications streams, advertising and N822-3 work as on node:http. Over HTTP/2 every
 * delimiter ends a DATA frame (RSP-6) and no connection-specific field is sent.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 *
 * const app: Http2Listener = (req, res) => res.end('hello\n'); // your app
 * const prep = createPrep();
 * const server = createPrepHttp2Server(prep, app, {
 *   key: readFileSync('key.pem'),
 *   cert: readFileSync('cert.pem'),
 * });
 * server.listen(8443);
 * ```
 */
export function createPrepHttp2Server(
  prep: Prep,
  listener: Http2Listener,
  options: Http2ServerOptions,
): Http2Server | Http2SecureServer {
  return createHttp2Server(prepListener(prep, listener), options);
}

/** Listens on `port` (0: any free one) and `host` (default 127.0.0.1); resolves with the URL. */
export async function listenHttp2(
  server: Http2Server | Http2SecureServer,
  port = 0,
  host = '127.0.0.1',
): Promise<{ port: number; url: string }> {
  return listenOn(server, port, host, 'setSecureContext' in server ? 'https' : 'http');
}

/**
 * Stops a server made by `createHttp2Server` from taking new connections and new streams
 * (GOAWAY to every session), leaving the streams it has open: the start of a drain. Then
 * `closeHttp2Server`.
 */
export function stopAcceptingHttp2(server: Http2Server | Http2SecureServer): void {
  server.close();
  for (const s of tracked.get(server)?.sessions ?? []) s.close();
}

/**
 * Closes a server made by `createHttp2Server`: stops listening, asks every session to end
 * once its streams have (GOAWAY), and cuts what is still open after `graceMs`. End the
 * notifications streams first (`prep.close()`), so they get their close delimiters.
 */
export async function closeHttp2Server(
  server: Http2Server | Http2SecureServer,
  graceMs = 1000,
): Promise<void> {
  const { sessions, sockets, http1 } = tracked.get(server) ?? {
    sessions: new Set(),
    sockets: new Set(),
    http1: undefined,
  };
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of sessions) s.close();
  // Its idle keep-alive connections now, the others once their responses are sent.
  http1?.close();
  const timer = setTimeout(() => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  }, graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
