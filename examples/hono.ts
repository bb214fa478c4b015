/**
 * PREP in a Hono app on node (`@hono/node-server`): JSON documents at /docs/<name>, with
 * GET, PUT, PATCH and DELETE, and live notifications for every document. The routes are
 * plain Hono; PREP is one middleware and one `prep.notify` per write. The same app runs on
 * Bun (`export default app`) and Deno (`Deno.serve(app.fetch)`) as it is.
 *
 *   node --import tsx examples/hono.ts                 (PORT=8080 by default)
 *   curl -N -H 'Accept-Events: "prep"' http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 */
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
// In your app: import { createPrep, prepHono, type Prep } from 'prep-live/server';
import { createPrep, prepHono, type Prep } from '../src/server/index.js';
import {
  Documents,
  JSON_TYPE,
  mediaType,
  representation,
  type Written,
} from './shared/documents.js';

/** The documents' routes, with PREP, as a Hono app. */
export function docsApp(prep: Prep, docs = new Documents()): Hono {
  const app = new Hono();
  // PREP: streams for GETs that ask, advertising, and notify() tied to each write's response.
  app.use('/docs/*', prepHono(prep));

  app.get('/docs/:name', (c) => {
    const doc = docs.get(c.req.param('name'));
    if (!doc) return c.text(`no document ${c.req.param('name')}\n`, 404);
    // HEAD too: Hono answers it with this route, without the body.
    return c.body(doc.json, 200, {
      'Content-Type': JSON_TYPE,
      ETag: doc.etag,
      'Last-Modified': doc.lastModified,
    });
  });

  app.put('/docs/:name', async (c) =>
    written(c, docs.put(c.req.param('name'), await c.req.text(), c.req.header('If-Match'))),
  );

  app.patch('/docs/:name', async (c) => {
    const type = mediaType(c.req.header('Content-Type'));
    const patch = await c.req.text();
    return written(c, docs.patch(c.req.param('name'), type, patch, c.req.header('If-Match')), {
      contentType: type,
      body: patch,
    });
  });

  app.delete('/docs/:name', (c) =>
    written(c, docs.delete(c.req.param('name'), c.req.header('If-Match'))),
  );

  function written(
    c: Context,
    w: Written,
    patch?: { contentType: string; body: string },
  ): Response {
    if (w.status >= 300) return c.text(`${w.error ?? ''}\n`, w.status as 400);
    // What changed; it goes out once this response has been sent (N822-3).
    prep.notify({
      method: c.req.method,
      path: c.req.path,
      etag: w.after?.etag ?? null,
      before: representation(w.before),
      after: representation(w.after),
      patch,
    });
    if (w.after) c.header('ETag', w.after.etag);
    return c.body(null, w.status as 204);
  }

  return app;
}

async function main(): Promise<void> {
  const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
  const app = docsApp(prep);
  const port = Number(process.env.PORT ?? 8080);
  const hostname = process.env.HOST ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname }, () => resolve(s));
  });
  const address = server.address() as { port: number };
  console.log(`listening on http://${hostname}:${address.port}`);
  const stop = (): void => {
    // Every stream ends with its close delimiters, which node-server writes as it reads them.
    void prep.close();
    server.close(() => process.exit(0));
    // Connections idle now are closed; the others as soon as their last response is out.
    (server as Server).keepAliveTimeout = 1;
    (server as Server).closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
