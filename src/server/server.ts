import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../store/index.js';
import { createResourceServer, type ResourceServerOptions } from './resources.js';

/** Options of {@link startServer}. */
export interface ServerOptions extends Omit<ResourceServerOptions, 'store'> {
  store: Store;
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
  /** One line per request; default none. */
  log?: (line: string) => void;
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
  const log = options.log;
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      if (log) {
        const started = performance.now();
        const streaming = () => res.getHeader('Events')?.toString().includes('status=200') ?? false;
        res.once('close', () => {
          const ms = (performance.now() - started).toFixed(1);
          const note = streaming() ? ' (stream closed)' : '';
          log(
            `${new Date().toISOString()} ${req.socket.remoteAddress ?? '-'} ${req.method} ${req.url} ${res.statusCode} ${ms}ms${note}`,
          );
        });
      }
      app.handle(req, res);
    },
  );
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
      app.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams were ended above; anything still open after a moment is cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
    },
  };
}
