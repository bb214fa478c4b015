import http from 'node:http';
import { listen } from '../app/http-listener.js';
import { HttpError, sendProblem } from '../http-error.js';

/** What the admin listener serves. */
export interface AdminHandlers {
  /** The Prometheus text exposition and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Whether this process (or group of workers) should get traffic, with the reasons. */
  readiness(): Promise<{ ready: boolean }>;
}

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions extends AdminHandlers {
  /** Port; 0 picks a free one. */
  port: number;
  /** Default 127.0.0.1: metrics and health are for the operator, not the public. */
  host?: string;
}

/** A running admin listener. */
export interface AdminServer {
  /** `http://host:port` */
  url: string;
  port: number;
  close(): Promise<void>;
}

const PATHS = '/metrics, /healthz, /readyz';

/**
 * The admin listener of `prep serve --admin-port`, apart from the resources (where every path
 * is a resource): `GET /metrics` (Prometheus text format), `GET /healthz` (200 while the
 * process answers at all), `GET /readyz` (200 when ready, else 503; the body says why, as
 * JSON). Anything else is a 404 or 405 with a problem+json body.
 *
 * @example
 * ```ts
 * const admin = await startAdminServer({
 *   port: 9090,
 *   metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
 *   readiness: () => checkReadiness({ events: app.events, history: app.history, draining }),
 * });
 * ```
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    answer(options, req, res).catch((err: unknown) => sendProblem(req, res, err));
  });
  // The admin port is for one scraper and a probe or two: no connection is kept long.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  const { port, url } = await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  handlers: AdminHandlers,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz')
    throw new HttpError(404, 'NOT_FOUND', `The admin listener serves ${PATHS} only.`);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} answers GET and HEAD.`, {
      Allow: 'GET, HEAD',
    });
  let status = 200;
  let type = 'application/json';
  let body: string;
  if (path === '/metrics') {
    const m = await handlers.metrics();
    type = m.contentType;
    body = m.body;
  } else if (path === '/healthz') {
    body = JSON.stringify({ status: 'ok' });
  } else {
    const r = await handlers.readiness();
    status = r.ready ? 200 : 503;
    body = JSON.stringify(r);
  }
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
