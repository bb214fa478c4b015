/**
 * PREP in a Fastify 5 app: JSON documents at /docs/<name>, with GET, PUT, PATCH and
 * DELETE, and live notifications for every document. The routes are plain Fastify; PREP is
 * one plugin and one `prep.notify` per write.
 *
 *   npm install fastify@^5
 *   node --import tsx examples/fastify.ts              (PORT=8080; H2C=1 for HTTP/2 without TLS)
 *   curl -N -H 'Accept-Events: "prep"' http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 */
import { pathToFileURL } from 'node:url';
// In your app: import { createPrep, prepFastify, type Prep } from 'prep-live/server';
import { createPrep, prepFastify, type Prep } from '../src/server/index.js';
import {
  Documents,
  JSON_TYPE,
  PATCH_TYPES,
  mediaType,
  representation,
  type Written,
} from './shared/documents.js';

// The few Fastify types used here, written out so that this file type-checks without
// fastify installed (with it: `import Fastify, { type FastifyInstance } from 'fastify'`).
export interface FastifyRequest {
  readonly method: string;
  readonly url: string;
  readonly params: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}
export interface FastifyReply {
  code(status: number): FastifyReply;
  header(name: string, value: string): FastifyReply;
  type(contentType: string): FastifyReply;
  send(payload?: unknown): FastifyReply;
}
type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;
export interface FastifyInstance {
  register(plugin: unknown, options?: unknown): PromiseLike<unknown>;
  removeContentTypeParser(types: string[]): unknown;
  addContentTypeParser(
    types: string[],
    options: { parseAs: 'string' },
    parser: (
      request: unknown,
      body: string,
      done: (err: Error | null, body?: unknown) => void,
    ) => void,
  ): void;
  get(path: string, handler: Handler): unknown;
  put(path: string, handler: Handler): unknown;
  patch(path: string, handler: Handler): unknown;
  delete(path: string, handler: Handler): unknown;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
export type FastifyFactory = (options?: { http2?: boolean }) => FastifyInstance;

/** Loads fastify (a variable specifier: this file type-checks without it installed). */
export async function loadFastify(): Promise<FastifyFactory> {
  const name = 'fastify';
  const mod = (await import(name)) as { default: FastifyFactory };
  return mod.default;
}

/** Adds the documents' routes, with PREP, to a Fastify app. */
export async function buildDocs(
  app: FastifyInstance,
  prep: Prep,
  docs = new Documents(),
): Promise<void> {
  // PREP: streams for GETs that ask (the reply is hijacked), advertising, notify() tied to
  // each write's reply.
  await app.register(prepFastify, { prep });
  // Bodies as text: the documents store JSON text as it came. (Fastify's own JSON parser
  // goes first: adding one for a type that has one throws FST_ERR_CTP_ALREADY_PRESENT.)
  app.removeContentTypeParser([JSON_TYPE]);
  app.addContentTypeParser([JSON_TYPE, ...PATCH_TYPES], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  app.get('/docs/:name', (request, reply) => {
    const name = nameOf(request);
    const doc = docs.get(name);
    if (!doc) return reply.code(404).type('text/plain').send(`no document ${name}\n`);
    return reply
      .header('ETag', doc.etag)
      .header('Last-Modified', doc.lastModified)
      .type(JSON_TYPE)
      .send(doc.json);
  });

  app.put('/docs/:name', (request, reply) =>
    written(request, reply, docs.put(nameOf(request), bodyOf(request), ifMatch(request))),
  );

  app.patch('/docs/:name', (request, reply) => {
    const type = mediaType(header(request, 'content-type'));
    const w = docs.patch(nameOf(request), type, bodyOf(request), ifMatch(request));
    return written(request, reply, w, { contentType: type, body: bodyOf(request) });
  });

  app.delete('/docs/:name', (request, reply) =>
    written(request, reply, docs.delete(nameOf(request), ifMatch(request))),
  );

  function written(
    request: FastifyRequest,
    reply: FastifyReply,
    w: Written,
    patch?: { contentType: string; body: string },
  ): FastifyReply {
    if (w.status >= 300)
      return reply
        .code(w.status)
        .type('text/plain')
        .send(`${w.error ?? ''}\n`);
    // What changed; it goes out once this reply has been sent (N822-3).
    prep.notify({
      method: request.method,
      path: request.url.split('?')[0]!,
      etag: w.after?.etag ?? null,
      before: representation(w.before),
      after: representation(w.after),
      patch,
    });
    if (w.after) reply.header('ETag', w.after.etag);
    return reply.code(w.status).send();
  }
}

function nameOf(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function ifMatch(request: FastifyRequest): string | undefined {
  return header(request, 'if-match');
}

function bodyOf(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

async function main(): Promise<void> {
  const Fastify = await loadFastify();
  const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
  const app = Fastify(process.env.H2C === '1' ? { http2: true } : {});
  await buildDocs(app, prep);
  const url = await app.listen({
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
  });
  console.log(`listening on ${url}`);
  const stop = (): void => {
    void prep.close();
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
