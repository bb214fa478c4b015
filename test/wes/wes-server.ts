/**
 * Our server for the WES tests: the shared harness (test/helpers/server.ts) with a WES
 * publisher of its own in front of the resource server, a log of the requests it received,
 * and requests slowed down on demand.
 *
 * The publisher answers before the resource server, as these tests were written against
 * (`prep serve` runs it inside the resource server, which adds its CORS and content-security
 * headers first; `feed.test.ts` pins the publisher's own header order).
 */
import type http from 'node:http';
import { createWesPublisher, type WesPublisherOptions } from '../../src/server/app/wes/index.js';
import type { Store } from '../../src/store/index.js';
import { defer, type CleanupScope } from '../helpers/cleanup.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export interface WesServerOptions extends Omit<WesPublisherOptions, 'store'> {
  /** Milliseconds to hold a request before the server sees it (0: none). */
  delay?: (req: http.IncomingMessage) => number;
}

export interface WesTestServer extends TestServer {
  /** The WES publisher the server runs. */
  readonly publisher: ReturnType<typeof createWesPublisher>;
  /** Requests seen, as `METHOD path` (and the If-None-Match they sent). */
  readonly log: string[];
}

/** Starts the server on 127.0.0.1:0 over `store` with WES `options`; stopped when `scope` ends. */
export async function startWesServer(
  scope: CleanupScope,
  store: Store,
  options: WesServerOptions = {},
): Promise<WesTestServer> {
  const { delay, ...wes } = options;
  const log: string[] = [];
  const publisher = createWesPublisher({ store, ...wes });
  defer(scope, () => publisher.close());
  const srv = await startTestServer(scope, {
    store,
    keepAliveMs: 60_000,
    wes: false,
    async beforeRequest(req, res) {
      const inm = req.headers['if-none-match'];
      log.push(`${req.method} ${req.url}${inm ? ` If-None-Match: ${inm}` : ''}`);
      const ms = delay?.(req) ?? 0;
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      return publisher.handle(req, res);
    },
  });
  return {
    ...srv,
    publisher,
    log,
    async close() {
      publisher.close();
      await srv.close();
    },
  };
}
