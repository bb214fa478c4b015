/**
 * PREP in a plain node:http app: JSON documents at /docs/<name>, with GET, PUT, PATCH and
 * DELETE, and live notifications for every document.
 *
 *   node --import tsx examples/node-http.ts            (PORT=8080 by default)
 *   curl -N -H 'Accept-Events: "prep"' http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { pathToFileURL } from 'node:url';
// In your app: import { createPrep, prepListener, type Prep } from 'prep-live/server';
import { createPrep, prepListener, type Prep } from '../src/server/index.js';
import {
  Documents,
  JSON_TYPE,
  mediaType,
  representation,
  type Written,
} from './shared/documents.js';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * The app, as a request listener that knows nothing of PREP streams: it answers GETs as
 * usual and tells `prep` what each write changed. `prepListener` does the rest.
 */
export function docsListener(prep: Prep, docs = new Documents()) {
  return async (req: Request, res: Response): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const name = /^\/docs\/([\w.-]+)$/.exec(path)?.[1];
    if (name === undefined) return send(res, 404, 'not found');
    const ifMatch = req.headers['if-match'];
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const doc = docs.get(name);
        if (!doc) return send(res, 404, `no document ${name}`);
        res.writeHead(200, {
          'Content-Type': JSON_TYPE,
          'Content-Length': Buffer.byteLength(doc.json),
          ETag: doc.etag,
          'Last-Modified': doc.lastModified,
        });
        if (req.method === 'GET') res.end(doc.json);
        else res.end();
        return;
      }
      case 'PUT':
        return written(res, 'PUT', path, docs.put(name, await text(req), ifMatch));
      case 'PATCH': {
        const type = mediaType(req.headers['content-type']);
        const patch = await text(req);
        return written(res, 'PATCH', path, docs.patch(name, type, patch, ifMatch), {
          contentType: type,
          body: patch,
        });
      }
      case 'DELETE':
        return written(res, 'DELETE', path, docs.delete(name, ifMatch));
      default:
        res.setHeader('Allow', 'GET, HEAD, PUT, PATCH, DELETE');
        return send(res, 405, `${req.method} is not allowed`);
    }
  };

  function written(
    res: Response,
    method: string,
    path: string,
    w: Written,
    patch?: { contentType: string; body: string },
  ): void {
    if (w.status >= 300) return send(res, w.status, w.error ?? '');
    // The one PREP line of a write: what changed. It goes out once this response is sent.
    prep.notify({
      method,
      path,
      etag: w.after?.etag ?? null,
      before: representation(w.before),
      after: representation(w.after),
      patch,
    });
    if (w.after) res.setHeader('ETag', w.after.etag);
    res.statusCode = w.status;
    res.end();
  }
}

/** Reads the request body; `for await` keeps the async context `prep.notify` relies on. */
async function text(req: Request): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

function send(res: Response, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

async function main(): Promise<void> {
  const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
  const server = http.createServer(prepListener(prep, docsListener(prep)));
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as { port: number };
  console.log(`listening on http://${host}:${address.port}`);
  const stop = (): void => {
    void prep.close(); // every stream ends with its close delimiters
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
