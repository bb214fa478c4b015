import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  Settings,
} from 'node:http2';
import type { Store } from '../../store/index.js';
import {
  closeHttp2Server,
  createHttp2Server,
  listenHttp2,
  stopAcceptingHttp2,
  type Http2Mode,
} from '../adapters/http2.js';
import { requestWatcher } from '../engine/request-record.js';
import { DEFAULTS } from '../settings.js';
import { sendProblem } from '../http-error.js';
import { checkRequestHead } from './request-head.js';
import { createGuardedServer, type ListenerOptions } from './http-listener.js';
import { createResourceServer, type ResourceServerOptions } from './resource-server.js';

/**
 * Options of {@link startHttp2Server}: those of `startServer`, plus TLS or h2c. The HTTP/1.1
 * bounds (`maxHeaderBytes`, `headersTimeoutMs`, `requestTimeoutMs`) are those of the h2c
 * port's HTTP/1.1 connections.
 */
export type Http2StartOptions = Omit<ResourceServerOptions, 'store'> &
  Http2Mode &
  Omit<ListenerOptions, 'port' | 'host'> & {
    store: Store;
    /** Port; 0 picks a free one. Default 8443 with TLS, 8080 for h2c. */
    port?: number;
    /** Address to listen on. Default 127.0.0.1. */
    host?: string;
    /** HTTP/2 SETTINGS; default `maxHeaderListSize` 16 KiB (as `startServer`'s `maxHeaderBytes`). */
    settings?: Settings;
  };

/** A running HTTP/2 server. */
export interface RunningHttp2Server {
  server: Http2Server | Http2SecureServer;
  /** `https://host:port` (TLS) or `http://host:port` (h2c). */
  url: string;
  port: number;
  app: ReturnType<typeof createResourceServer>;
  /** Closes every stream with its close delimiters (RSP-7), then the sessions. The store stays open. */
  close(): Promise<void>;
  /** A graceful shutdown, as `RunningServer.drain` (GOAWAY to every session first). */
  drain(timeoutMs: number): Promise<boolean>;
}

/**
 * Starts the PREP resource server on node:http2: TLS (`key`, `cert`) or h2c (`h2c: true`,
 * HTTP/2 by prior knowledge); HTTP/1.1 clients are served on the same port either way
 * (`allowHTTP1: false` turns that off). Browsers open every notifications stream on one
 * connection (SEC-4), and every delimiter ends a DATA frame (RSP-6).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 *
 * const { url, close } = await startHttp2Server({
 *   store,
 *   key: readFileSync('key.pem'),
 *   cert: readFileSync('cert.pem'),
 *   port: 8443,
 * });
 * ```
 */
export async function startHttp2Server(options: Http2StartOptions): Promise<RunningHttp2Server> {
  const app = createResourceServer(options);
  const watch = requestWatcher(options);
  const mode: Http2Mode =
    'h2c' in options
      ? {
          h2c: true,
          // HTTP/1.1 on the same port (plain curl, health checks), served as startServer
          // serves it: the same bounds, Host check, problem+json for what node:http refuses.
          allowHTTP1:
            typeof options.allowHTTP1 === 'object' || options.allowHTTP1 === false
              ? options.allowHTTP1
              : createGuardedServer((req, res) => app.handle(req, res), {
                  ...options,
                  maxBodyBytes: app.maxBodyBytes,
                }),
        }
      : {
          key: options.key,
          cert: options.cert,
          ...(options.allowHTTP1 !== undefined ? { allowHTTP1: options.allowHTTP1 } : {}),
        };
  const server = createHttp2Server(
    (req, res) => {
      watch?.(req, res);
      // The resource server is written against node:http; the compat API it uses (headers,
      // statusCode, setHeader, end, 'finish'/'close', req.socket) behaves the same, and the
      // engine picks the HTTP/2 transport for these responses.
      const request = req as unknown as IncomingMessage;
      const response = res as unknown as ServerResponse;
      // HTTP/1.1 clients of the TLS port (ALPN http/1.1) get the checks of startServer.
      const refused = checkRequestHead(request);
      if (refused) {
        sendProblem(request, response, refused, [['Connection', 'close']]);
        return;
      }
      app.handle(request, response);
    },
    { ...mode, settings: { maxHeaderListSize: DEFAULTS.maxHeaderBytes, ...options.settings } },
  );
  // A client that waits for `100 Continue` before sending a body over the limit gets the 413
  // instead, and sends nothing (RFC 9110 §10.1.1), as with startServer.
  server.on('checkContinue', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    if (!(Number(req.headers['content-length']) > app.maxBodyBytes)) res.writeContinue();
    server.emit('request', req, res);
  });
  const tls = !('h2c' in options);
  const { port, url } = await listenHttp2(
    server,
    options.port ?? (tls ? 8443 : DEFAULTS.port),
    options.host ?? DEFAULTS.host,
  );
  const running: RunningHttp2Server = {
    server,
    app,
    port,
    url,
    async close() {
      await app.close();
      await closeHttp2Server(server, 1000);
    },
    async drain(timeoutMs) {
      const until = Date.now() + timeoutMs;
      stopAcceptingHttp2(server);
      const settled = await app.drain(until);
      await running.close();
      return settled;
    },
  };
  return running;
}
