import type { NodeRequest, NodeResponse } from '../engine/transport.js';
import type { Prep } from '../embed/create-prep.js';

/**
 * Wraps a `node:http` (or `node:http2` compat) request listener with PREP: on watched
 * paths, a GET asking for notifications has what the listener answers served as the base of
 * a stream, other GETs and HEADs advertise notifications (DSC-1), and every other request's
 * handling runs with its response as the writer's, so `prep.notify(change)` waits for that
 * response to be sent (N822-3).
 *
 * `notify` finds the writer's response through an async context (`AsyncLocalStorage`): it
 * follows awaits, so read the body with `for await (const chunk of req)` (or a promise);
 * a callback of `req.on('data' | 'end')` runs outside it, and there
 * `prep.notifyAfter(res, change)` names the response instead.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 *
 * const etagOf = (text: string) => `"${text.length}"`; // yours: a hash of the text
 * const prep = createPrep();
 * let doc = '{}';
 * http.createServer(prepListener(prep, async (req, res) => {
 *   if (req.method === 'PUT') {
 *     doc = '';
 *     for await (const chunk of req) doc += chunk;
 *     prep.notify({ method: 'PUT', path: '/doc', etag: etagOf(doc) });
 *     res.writeHead(204).end();
 *   } else res.writeHead(200, { 'Content-Type': 'application/json', ETag: etagOf(doc) }).end(doc);
 * })).listen(8080);
 * ```
 */
export function prepListener<Req extends NodeRequest, Res extends NodeResponse>(
  prep: Prep,
  listener: (req: Req, res: Res) => unknown,
): (req: Req, res: Res) => void {
  return (req, res) => {
    prep.intercept(req, res);
    if (isRead(req.method)) void listener(req, res);
    else void prep.run(res, () => listener(req, res));
  };
}

/** GET and HEAD make no changes: their handlers run outside any writer's context. */
export function isRead(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}
