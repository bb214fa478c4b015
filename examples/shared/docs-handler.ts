/**
 * The documents app as a fetch handler, `(Request) => Response`, as Bun, Deno, Workers and
 * `@hono/node-server` serve it: JSON documents at /docs/<name> with GET, HEAD, PUT, PATCH
 * and DELETE. It knows nothing of PREP streams: it answers GETs as usual and tells `prep`
 * what each write changed; `prepFetch` does the rest.
 */
// In your app: import type { Prep } from 'prep-live/server';
import type { Prep } from '../../src/server/index.js';
import { Documents, JSON_TYPE, mediaType, representation, type Written } from './documents.js';

/** The app: every response of it is a plain `Response`. */
export function docsHandler(
  prep: Prep,
  docs = new Documents(),
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    const name = /^\/docs\/([\w.-]+)$/.exec(path)?.[1];
    if (name === undefined) return text(404, 'not found');
    const ifMatch = request.headers.get('if-match') ?? undefined;
    switch (request.method) {
      case 'GET':
      case 'HEAD': {
        const doc = docs.get(name);
        if (!doc) return text(404, `no document ${name}`);
        return new Response(request.method === 'GET' ? doc.json : null, {
          headers: {
            'Content-Type': JSON_TYPE,
            ETag: doc.etag,
            'Last-Modified': doc.lastModified,
          },
        });
      }
      case 'PUT':
        return written('PUT', path, docs.put(name, await request.text(), ifMatch));
      case 'PATCH': {
        const type = mediaType(request.headers.get('content-type') ?? undefined);
        const patch = await request.text();
        return written('PATCH', path, docs.patch(name, type, patch, ifMatch), {
          contentType: type,
          body: patch,
        });
      }
      case 'DELETE':
        return written('DELETE', path, docs.delete(name, ifMatch));
      default:
        return text(405, `${request.method} is not allowed`, {
          Allow: 'GET, HEAD, PUT, PATCH, DELETE',
        });
    }
  };

  function written(
    method: string,
    path: string,
    w: Written,
    patch?: { contentType: string; body: string },
  ): Response {
    if (w.status >= 300) return text(w.status, w.error ?? '');
    // The one PREP line of a write: what changed. It goes out once this response is sent.
    prep.notify({
      method,
      path,
      etag: w.after?.etag ?? null,
      before: representation(w.before),
      after: representation(w.after),
      patch,
    });
    return new Response(null, {
      status: w.status,
      headers: w.after ? { ETag: w.after.etag } : {},
    });
  }
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
  });
}
