import { createFetchTransport, headerRecord } from '../engine/fetch-transport.js';
import type { Decision, Prep, PrepRequest } from '../embed/create-prep.js';
import { splitSent, varyWith } from '../embed/fields.js';
import { ResponseSignal } from '../log/response-signal.js';
import { fetchRuntime, type FetchRuntime } from './fetch-runtime.js';

/**
 * A fetch handler: what `Bun.serve`, `Deno.serve`, `@hono/node-server` and Workers take.
 * The arguments after the request are the runtime's (Bun's server, Deno's info,
 * `{ incoming, outgoing }` on node, a Worker's env and context); they are passed on.
 */
export type FetchHandler<A extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: A
) => Response | Promise<Response>;

/** Options of {@link prepFetch} and {@link handleFetch}. */
export interface PrepFetchOptions {
  /**
   * The key of the per-client limit (SEC-2). Default: the remote address where the runtime
   * tells it (`fetch-runtime.ts`), else `'unknown'` (one bucket for all: set it on Workers,
   * e.g. from `CF-Connecting-IP`, which only Cloudflare's edge makes trustworthy).
   */
  clientOf?: (request: Request, runtime: unknown) => string;
  /** Bytes a stream's body queues before it counts as behind (`ReadableStreamSink`). Default 16 KiB. */
  highWaterMark?: number;
}

/**
 * PREP for a fetch handler, the web-standard counterpart of `prepListener`: wraps the
 * app's `(request) => Response` handler. On watched paths a GET asking for notifications
 * takes its base from the handler (called with the request less `Accept-Events`) and is
 * answered with a `Response` whose body is the two-part multipart stream (RSP-1..8); other
 * GETs and HEADs get the advertisement (DSC-1); every other request runs with its response
 * as the writer's, so `prep.notify(change)` in the handler waits for that response to be
 * sent (N822-3, as far as the runtime lets one know: see `fetch-runtime.ts`).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { createPrep, prepFetch } from 'prep-live/server';
 *
 * const docs = new Map<string, string>([['/docs/a', '{"title":"a"}']]);
 * const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
 * const app = (request: Request): Response => {
 *   const body = docs.get(new URL(request.url).pathname);
 *   if (body === undefined) return new Response('not found\n', { status: 404 });
 *   return new Response(body, { headers: { 'Content-Type': 'application/json' } });
 * };
 * // The same handler on Bun: Bun.serve({ fetch: prepFetch(prep, app) }); on Deno:
 * // Deno.serve(prepFetch(prep, app)). Here on node, through @hono/node-server:
 * serve({ port: 8080, fetch: prepFetch(prep, app) });
 * ```
 */
export function prepFetch<A extends unknown[], C>(
  prep: Prep<C>,
  handler: FetchHandler<A>,
  options: PrepFetchOptions = {},
): (request: Request, ...rest: unknown[]) => Promise<Response> {
  // The runtime's arguments go on as they came: Bun passes its server even to a handler
  // typed with the request alone.
  return (request, ...rest) =>
    handleFetch(prep, request, (r) => handler(r, ...(rest as A)), {
      ...options,
      runtime: rest[0],
    });
}

/** Options of {@link handleFetch}: those of `prepFetch`, and what the runtime passed. */
export interface HandleFetchOptions extends PrepFetchOptions {
  /** The value the runtime passed after the request (see `fetch-runtime.ts`). */
  runtime?: unknown;
}

/**
 * One request through PREP, for frameworks whose middleware has a `next` (see `prepHono`):
 * `next(request)` runs the app and resolves with its response.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createPrep, handleFetch } from 'prep-live/server';
 *
 * const prep = createPrep();
 * const app = new Hono();
 * const handler = (request: Request) => handleFetch(prep, request, (r) => app.fetch(r));
 * ```
 */
export async function handleFetch<C>(
  prep: Prep<C>,
  request: Request,
  next: (request: Request) => Response | Promise<Response>,
  options: HandleFetchOptions = {},
): Promise<Response> {
  const runtime = fetchRuntime(request, options.runtime);
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD') return written(prep, request, next, runtime);
  const path = new URL(request.url).pathname;
  if (!prep.watches(path)) return next(request);
  const client = options.clientOf?.(request, options.runtime) ?? runtime.client ?? 'unknown';
  const asked: PrepRequest = { method, headers: headerRecord(request.headers), client };
  if (method === 'HEAD' || !request.headers.has('accept-events')) {
    const response = await next(request);
    const decision = await prep.decide(asked, {
      path,
      base: { status: response.status },
      afterSeq: 0,
    });
    // Without `Accept-Events` (or on HEAD) negotiation ignores the request (HDR-4, MTH-2).
    if (decision.kind === 'stream') throw new Error('a stream was negotiated without asking');
    return withFields(response, decision);
  }
  // Read the history position before the handler reads its data: changes after it are sent,
  // so none falls between the representation and the subscription.
  const afterSeq = prep.events.view.lastSeq();
  afterSeq.catch(() => undefined);
  const response = await next(withoutAcceptEvents(request));
  const body = await readBase(response, prep.maxBaseBytes);
  if (body instanceof Response)
    // ERR-3: the base is fine, notifications cannot be served for it.
    return withFields(body, {
      kind: 'refused',
      fields: [['Events', prep.engine.eventsHeader(503)]],
      vary: true,
    });
  const sent: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') sent.push([name, value]);
  });
  for (const cookie of response.headers.getSetCookie()) sent.push(['set-cookie', cookie]);
  const { representation, other } = splitSent(sent);
  const decision = await prep.decide(asked, {
    path,
    base: { status: response.status, headers: representation, body },
    afterSeq,
    headers: other,
  });
  if (decision.kind !== 'stream')
    return withFields(
      new Response(body as Uint8Array<ArrayBuffer>, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      }),
      decision,
    );
  const transport = createFetchTransport(
    { headers: request.headers, gone: runtime.gone },
    {
      pace: runtime.pace,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    },
  );
  const sending = decision.send(transport);
  // A failure after the head went out (the history could not be replayed) cuts the stream.
  sending.catch(() => transport.abort());
  const opened = await Promise.race([transport.response, sending.then(() => undefined)]);
  // RSP-8: undefined when the client went before the stream opened; nobody reads this.
  return opened ?? new Response(null, { status: 204 });
}

/**
 * A write (any method but GET and HEAD): the app's handler runs with its response as the
 * writer's, so that `notify` waits for it (N822-3).
 */
async function written<C>(
  prep: Prep<C>,
  request: Request,
  next: (request: Request) => Response | Promise<Response>,
  runtime: FetchRuntime,
): Promise<Response> {
  // @hono/node-server: node's own response, watched as the node adapters watch it.
  const writer = runtime.writer;
  if (writer) return prep.run(writer, () => next(request));
  let body: WatchedBody | undefined;
  const signal = new ResponseSignal(() => body?.cut());
  let response: Response;
  try {
    response = await prep.run(signal, () => next(request));
  } catch (e) {
    // The runtime answers with an error; what was committed still goes out (N822-2).
    setTimeout(() => signal.sent(), 0);
    throw e;
  }
  const sent = (): void => signal.sent();
  if (response.body !== null) {
    // Wrapped also where the runtime says when it is done (Deno): a writer that does not
    // read its response can then be cut (`writerStallMs`).
    body = watchBody(response, runtime.completed === undefined ? sent : () => undefined);
    response = body.response;
  }
  if (runtime.completed) runtime.completed.then(sent, sent);
  // No body and no word from the runtime: it writes the head when the handler's promise
  // settles, before any timer.
  else if (response.body === null) setTimeout(sent, 0);
  return response;
}

/** A writer's response whose body is watched: taken to its end, or cut. */
interface WatchedBody {
  response: Response;
  /** Errors the body: the runtime aborts the response (a writer that stalls others). */
  cut(): void;
}

/**
 * `response` with its body read through a stream of ours, so that `done` runs once the
 * runtime has read it to the end (asked for more after the last byte), or gave up on it.
 */
function watchBody(response: Response, done: () => void): WatchedBody {
  const reader = response.body!.getReader();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull(c) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            c.close();
            finish();
          } else c.enqueue(chunk.value);
        } catch (e) {
          finish();
          throw e;
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    response: new Response(stream, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }),
    cut() {
      if (finished) return;
      const error = new Error('the writer did not take its response');
      controller?.error(error);
      void reader.cancel(error).catch(() => undefined);
      finish();
    },
  };
}

/**
 * The base body, or, past `limit` bytes, a response that sends what was read and the rest
 * as it comes (its body cannot be part 1).
 */
async function readBase(response: Response, limit: number): Promise<Uint8Array | Response> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      const rest = new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(chunk);
        },
        async pull(c) {
          const next = await reader.read();
          if (next.done) c.close();
          else c.enqueue(next.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
      return new Response(rest, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/**
 * The request as the app sees the base of a stream: without `Accept-Events`. A GET has no
 * body; the signal is not copied (Deno warns when it is read: `fetch-runtime.ts`).
 */
function withoutAcceptEvents(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.delete('accept-events');
  return new Request(request.url, { method: request.method, headers });
}

/**
 * `response` with a decision's fields (DSC-1 `Accept-Events`, ERR-2/3 `Events`,
 * `Retry-After`) and `Accept-Events` in `Vary`. Its own headers are changed when they may
 * be (a `Response` the app built); else it is copied.
 */
function withFields(response: Response, decision: Exclude<Decision, { kind: 'stream' }>): Response {
  if (decision.fields.length === 0 && !decision.vary) return response;
  try {
    setFields(response.headers, decision);
    return response;
  } catch {
    // Immutable headers (a response of fetch() passed on): a copy with the same body.
    const copy = new Response(response.body, response);
    setFields(copy.headers, decision);
    return copy;
  }
}

function setFields(headers: Headers, decision: Exclude<Decision, { kind: 'stream' }>): void {
  for (const [name, value] of decision.fields) headers.set(name, value);
  if (!decision.vary) return;
  const vary = varyWith(headers.get('vary') ?? undefined, 'Accept-Events');
  if (vary !== undefined) headers.set('Vary', vary);
}
