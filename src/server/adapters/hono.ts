import type { Prep } from '../embed/create-prep.js';
import { handleFetch, type PrepFetchOptions } from './fetch.js';

/** What the middleware uses of Hono's context (`c`). */
interface HonoContextLike {
  req: { raw: Request };
  /** The runtime's value after the request: `{ incoming, outgoing }`, Bun's server, Deno's info. */
  env: unknown;
  res: Response | undefined;
}

/**
 * PREP as Hono middleware (Hono 4, on any runtime it runs on): mount it before the routes
 * of the resources that serve notifications. It is `handleFetch` around the rest of the
 * chain: on watched paths a GET asking for notifications has what its route answers
 * (`c.json`, `c.body`, ...) served as the base of a stream, other GETs and HEADs advertise
 * notifications (DSC-1), and the routes of every other method run with their response as
 * the writer's, so `prep.notify(change)` there waits for it to be sent (N822-3).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createPrep, prepHono } from 'prep-live/server';
 *
 * const todos = new Map<string, { done: boolean }>();
 * const etagOf = (todo: { done: boolean }) => `"${String(todo.done)}"`; // yours: a hash
 * const prep = createPrep({ watch: (path) => path.startsWith('/todos/') });
 * const app = new Hono();
 * app.use(prepHono(prep));
 * app.get('/todos/:id', (c) => {
 *   const todo = todos.get(c.req.param('id'));
 *   return todo ? c.json(todo, 200, { ETag: etagOf(todo) }) : c.notFound();
 * });
 * app.put('/todos/:id', async (c) => {
 *   const todo = await c.req.json<{ done: boolean }>();
 *   todos.set(c.req.param('id'), todo);
 *   prep.notify({ method: 'PUT', path: c.req.path, etag: etagOf(todo) });
 *   return c.body(null, 204);
 * });
 * ```
 */
export function prepHono<C>(
  prep: Prep<C>,
  options: PrepFetchOptions = {},
): (c: HonoContextLike, next: () => Promise<void>) => Promise<void> {
  return async (c, next) => {
    const original = c.req.raw;
    const response = await handleFetch(
      prep,
      original,
      async (request) => {
        // The base of a stream is answered to the request less `Accept-Events`.
        c.req.raw = request;
        try {
          await next();
        } finally {
          c.req.raw = original;
        }
        return c.res!;
      },
      { ...options, runtime: c.env },
    );
    if (response === c.res) return;
    // Hono's setter merges the old response's fields into a new one (Content-Length
    // included): clear it first, since `response` already carries what it needs.
    c.res = undefined;
    c.res = response;
  };
}
