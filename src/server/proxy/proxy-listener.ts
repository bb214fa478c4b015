import type http from 'node:http';
import {
  closeServer,
  createGuardedServer,
  listen,
  type ListenerOptions,
} from '../app/http-listener.js';
import { DEFAULTS } from '../settings.js';
import { createProxyServer, type ProxyServer, type ProxyServerOptions } from './proxy-server.js';

/** Options of {@link startProxy}. */
export interface ProxyListenerOptions extends ProxyServerOptions, ListenerOptions {}

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
 * Starts `prep proxy` on node:http, with the guards of `prep serve`'s listener
 * (`createGuardedServer`): bounded request heads, slow-loris timeouts, `Host` required on
 * HTTP/1.1, problem+json for what node's parser refuses.
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
  const server = createGuardedServer((req, res) => proxy.handle(req, res), {
    ...options,
    maxBodyBytes: proxy.maxBodyBytes > 0 ? proxy.maxBodyBytes : Infinity,
  });
  let where;
  try {
    where = await listen(server, options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host);
  } catch (e) {
    await proxy.close();
    throw e;
  }
  return {
    server,
    proxy,
    ...where,
    async close() {
      await proxy.close();
      await closeServer(server);
    },
  };
}
