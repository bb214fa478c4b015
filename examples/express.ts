/**
 * PREP in an Express app (Express 4 or 5): JSON documents at /docs/<name>, with GET, PUT,
 * PATCH and DELETE, and live notifications for every document. The routes are plain
 * Express; PREP is one middleware and one `prep.notify` per write.
 *
 *   node --import tsx examples/express.ts              (PORT=8080 by default)
 *   curl -N -H 'Accept-Events: "prep";accept=("message/rfc822";delta="application/merge-patch+json")' \
 *     http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 */
import express, { type Express, type Request, type Response } from 'express';
import { pathToFileURL } from 'node:url';
// In your app: import { createPrep, prepExpress, type Prep } from 'prep-live/server';
import { createPrep, prepExpress, type Prep } from '../src/server/index.js';
import {
  Documents,
  JSON_TYPE,
  PATCH_TYPES,
  mediaType,
  representation,
  type Written,
} from './shared/documents.js';

/** The `express` module: Express 4 (the default) or Express 5, which has the same API here. */
export type ExpressModule = typeof express;

/** Adds the documents' routes, with PREP, to an Express app. */
export function mountDocs(
  app: Express,
  prep: Prep,
  lib: ExpressModule = express,
  docs = new Documents(),
): void {
  // Bodies as text: the documents store JSON text as it came.
  app.use(lib.text({ type: [JSON_TYPE, ...PATCH_TYPES] }));
  // PREP: streams for GETs that ask, advertising, and notify() tied to each write's response.
  app.use(prepExpress(prep));

  app.get('/docs/:name', (req: Request, res: Response) => {
    const doc = docs.get(req.params.name!);
    if (!doc) {
      res.status(404).type('text/plain').send(`no document ${req.params.name}\n`);
      return;
    }
    res.set({ ETag: doc.etag, 'Last-Modified': doc.lastModified }).type(JSON_TYPE).send(doc.json);
  });

  app.put('/docs/:name', (req: Request, res: Response) => {
    written(req, res, docs.put(req.params.name!, bodyOf(req), req.get('If-Match')));
  });

  app.patch('/docs/:name', (req: Request, res: Response) => {
    const type = mediaType(req.get('Content-Type'));
    written(req, res, docs.patch(req.params.name!, type, bodyOf(req), req.get('If-Match')), {
      contentType: type,
      body: bodyOf(req),
    });
  });

  app.delete('/docs/:name', (req: Request, res: Response) => {
    written(req, res, docs.delete(req.params.name!, req.get('If-Match')));
  });

  function written(
    req: Request,
    res: Response,
    w: Written,
    patch?: { contentType: string; body: string },
  ): void {
    if (w.status >= 300) {
      res
        .status(w.status)
        .type('text/plain')
        .send(`${w.error ?? ''}\n`);
      return;
    }
    // What changed; it goes out once this response has been sent (N822-3).
    prep.notify({
      method: req.method,
      path: req.originalUrl.split('?')[0]!,
      etag: w.after?.etag ?? null,
      before: representation(w.before),
      after: representation(w.after),
      patch,
    });
    if (w.after) res.set('ETag', w.after.etag);
    res.status(w.status).end();
  }
}

function bodyOf(req: Request): string {
  return typeof req.body === 'string' ? req.body : '';
}

async function main(): Promise<void> {
  const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
  const app = express();
  mountDocs(app, prep);
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
    const s = app.listen(port, host, () => resolve(s));
  });
  const address = server.address() as { port: number };
  console.log(`listening on http://${host}:${address.port}`);
  const stop = (): void => {
    void prep.close();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
