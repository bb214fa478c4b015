/**
 * The one way tests start our resource server (`startServer`: the HTTP listener, the resource
 * server, WES) on 127.0.0.1, port 0.
 *
 * - `startTestServer(t, options)`: the server for one test; everything it opens is closed
 *   when `t` ends (or a `fileScope()` for a server a whole file shares).
 * - `withServer(options, fn)`: the same server for the length of `fn`, for code that holds no
 *   TestContext.
 * - `openTestStore(t, kind)`: just a store (memory, or SQLite in a temp file).
 *
 * A store is `'memory'` (default), `'sqlite'` (a file in a fresh temp dir, or `filename`) or
 * a `Store` you opened (then you close it). Every other option goes to `startServer` as is.
 */
import type http from 'node:http';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { MemoryStore, SqliteStore, type Store } from '../../src/store/index.js';
import { defer, ownedScope, tempDir, withScope, type CleanupScope } from './cleanup.js';
import { RawClient, type RawRequest, type RawResponse } from './raw-client.js';
import { Subscriber, type SubscribeOptions } from './subscriber.js';

/** The store kinds every store-sensitive suite runs against. */
export const STORE_KINDS = ['memory', 'sqlite'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** An open store of the given kind (SQLite in a temp dir), closed when `scope` ends. */
export async function openTestStore(
  scope: CleanupScope,
  kind: StoreKind = 'memory',
  filename?: string,
): Promise<Store> {
  const store =
    kind === 'memory'
      ? new MemoryStore()
      : new SqliteStore({ filename: filename ?? join(tempDir(scope, 'prep-store-'), 'prep.db') });
  await store.open();
  defer(scope, () => store.close());
  return store;
}

export interface TestServerOptions extends Omit<ServerOptions, 'store' | 'port' | 'host'> {
  /** `memory` (default), `sqlite` (a file in a fresh temp dir, or `filename`), or a store. */
  store?: StoreKind | Store;
  /** The SQLite file of `store: 'sqlite'`; kept when the server stops (for restarts). */
  filename?: string;
  /**
   * Runs before the server sees each request, and holds the request until it settles: to
   * record what a client asked for, to slow some requests down, or to answer some itself
   * (it returns true when it did; the server then never sees the request).
   */
  beforeRequest?: RequestHook;
}

export type RequestHook = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => void | boolean | Promise<void | boolean>;

/** A running server with the clients opened through it. */
export interface TestServer {
  readonly running: RunningServer;
  readonly server: http.Server;
  readonly app: RunningServer['app'];
  readonly store: Store;
  /** `http://127.0.0.1:port` */
  readonly url: string;
  readonly port: number;
  /** Opens a raw TCP connection (closed with the server). */
  connect(): Promise<RawClient>;
  /** Sends one request on a fresh raw connection and waits for its complete response. */
  rawRequest(request: RawRequest): Promise<RawResponse>;
  /** A plain request through fetch; the body is read completely. */
  request(path: string, init?: RequestInit): Promise<FetchedResponse>;
  /** PUT of a JSON value (or of `body` with `type`). */
  put(
    path: string,
    body: unknown,
    options?: { type?: string; headers?: Record<string, string> },
  ): Promise<FetchedResponse>;
  /** Opens a notifications stream through fetch (aborted with the server). */
  subscribe(path: string, options?: SubscribeOptions): Promise<Subscriber>;
  /** `RunningServer.drain`: a graceful shutdown. */
  drain(timeoutMs: number): Promise<boolean>;
  /**
   * Closes the clients opened through it, then the server (streams get their close
   * delimiters). The store stays open until the scope ends.
   */
  close(): Promise<void>;
  /** `close()`, then the store if the harness opened it (its temp directory too, not `filename`). */
  stop(): Promise<void>;
}

export interface FetchedResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

/** Starts the server on 127.0.0.1:0; it stops when `scope` (a TestContext) ends. */
export async function startTestServer(
  scope: CleanupScope,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const { store: choice = 'memory', filename, beforeRequest, ...rest } = options;
  const own = ownedScope(); // what the harness opens for this server, closed by stop()
  const store = typeof choice === 'string' ? await openTestStore(own, choice, filename) : choice;
  const running = await startServer({ ...rest, store, port: 0, host: '127.0.0.1' });
  if (beforeRequest) holdRequests(running.server, beforeRequest);
  const raws = new Set<RawClient>();
  const subscribers = new Set<Subscriber>();
  const url = running.url;
  let closed = false;

  const request = async (path: string, init: RequestInit = {}): Promise<FetchedResponse> => {
    const res = await fetch(url + path, init);
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
  };

  const srv: TestServer = {
    running,
    server: running.server,
    app: running.app,
    store,
    url,
    port: running.port,
    async connect() {
      const c = await RawClient.connect(running.port);
      raws.add(c);
      return c;
    },
    async rawRequest(r) {
      const c = await srv.connect();
      c.send(r);
      const res = await c.response(0);
      c.close();
      return res;
    },
    request,
    put(path, body, opts = {}) {
      const type = opts.type ?? 'application/json';
      const bytes =
        typeof body === 'string'
          ? body
          : body instanceof Uint8Array
            ? Buffer.from(body)
            : JSON.stringify(body);
      return request(path, {
        method: 'PUT',
        headers: { 'Content-Type': type, ...opts.headers },
        body: bytes,
      });
    },
    async subscribe(path, opts = {}) {
      const s = await Subscriber.open(url + path, opts);
      subscribers.add(s);
      return s;
    },
    drain: (timeoutMs) => running.drain(timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      for (const s of subscribers) s.close();
      for (const c of raws) c.close();
      await running.close();
    },
    async stop() {
      await srv.close();
      await own.run();
    },
  };
  defer(scope, () => srv.stop());
  return srv;
}

/** Runs `fn` with a fresh server and always stops it. */
export function withServer<T>(
  options: TestServerOptions,
  fn: (srv: TestServer) => Promise<T>,
): Promise<T> {
  return withScope(async (scope) => fn(await startTestServer(scope, options)));
}

/** Puts `hook` in front of the server's request listeners (the request waits for it). */
function holdRequests(server: http.Server, hook: RequestHook): void {
  const listeners = server.listeners('request') as http.RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void Promise.resolve(hook(req, res)).then(
      (answered) => {
        if (answered !== true) for (const l of listeners) l.call(server, req, res);
      },
      () => res.destroy(),
    );
  });
}
