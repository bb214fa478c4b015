import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { answerClientError, sweepInterval } from '../app/http-listener.js';
import { HttpError, sendProblem } from '../http-error.js';
import { createProxyServer, type ProxyServer, type ProxyServerOptions } from './proxy-server.js';

/** Options of {@link startProxy}. */
export interface ProxyListenerOptions extends ProxyServerOptions {
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Largest request head in bytes (431 beyond it). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time allowed to receive a request's headers (slow-loris guard). Default 10 000 ms. */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (headers and body). Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** One line per request; default none. */
  log?: (line: string) => void;
}

/** A running proxy. */
export interface RunningProxy {
  server: http.Server;
  /** `http://host:port` */
  url: string;
  port: number;
  proxy: ProxyServer;
  /** Closes every stream with its close delimiters (RSP-7), then the listener. The store stays open. */
  close(): Promise<void>;
}

/**
 * Starts `prep proxy` on node:http, with the guards of `prep serve`'s listener: bounded
 * request heads, slow-loris timeouts, `Host` required on HTTP/1.1, problem+json for what
 * node's parser refuses.
 *
 * @example
 * ```ts
 * const store = new SqliteStore({ filename: './data/prep-proxy.db' });
 * await store.open();
 * const { url, close } = await startProxy({ upstream: 'http://127.0.0.1:3000', store, port: 8080 });
 * ```
 */
export async function startProxy(options: ProxyListenerOptions): Promise<RunningProxy> {
  const proxy = createProxyServer(options);
  const log = options.log;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: sweepInterval(headersTimeout, requestTimeout),
      keepAliveTimeout: 5_000,
      requireHostHeader: false,
    },
    (req, res) => {
      if (log) {
        const started = performance.now();
        const remote = req.socket.remoteAddress ?? '-';
        res.once('close', () => {
          const ms = (performance.now() - started).toFixed(1);
          log(
            `${new Date().toISOString()} ${remote} ${req.method} ${req.url} ${res.statusCode} ${ms}ms`,
          );
        });
      }
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
      if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1)
        return sendProblem(
          req,
          res,
          new HttpError(400, 'HOST_REQUIRED', 'An HTTP/1.1 request needs a Host header.'),
          [['Connection', 'close']],
        );
      proxy.handle(req, res);
    },
  );
  // A client waiting for `100 Continue` with a body over the bound gets the 413 instead.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const max = proxy.maxBodyBytes;
    if (!(max > 0 && Number(req.headers['content-length']) > max)) res.writeContinue();
    server.emit('request', req, res);
  });
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) =>
    sendProblem(
      req,
      res,
      new HttpError(
        417,
        'EXPECTATION_FAILED',
        `Expect: ${String(req.headers.expect).slice(0, 100)} cannot be met; only 100-continue is.`,
      ),
      [['Connection', 'close']],
    ),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(err, socket),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await proxy.close();
    throw e;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    proxy,
    port: address.port,
    url: `http://${host}:${address.port}`,
    async close() {
      await proxy.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
    },
  };
}
