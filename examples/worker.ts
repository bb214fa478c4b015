/**
 * PREP on Cloudflare Workers: JSON documents at /docs/<name>, with GET, PUT, PATCH and
 * DELETE, and live notifications for every document. A Worker keeps no state between
 * requests, and two requests may run in different isolates, so the streams and the writes
 * that notify them meet in one Durable Object (`Docs`), which holds `prep` and the data
 * and serves every /docs/ request with `prepFetch`; the Worker only forwards them to it.
 * One object serves the whole app here; an app with many resources would use one per
 * resource or per group (`idFromName(path)`), as fan-out is per object.
 *
 * Bundled (esbuild, `--format=esm`) and run by Miniflare in test/adapters/workers.test.ts,
 * with `compatibility_flags = ["nodejs_compat"]` (AsyncLocalStorage, node:crypto, Buffer)
 * and a Durable Object binding `DOCS` to the class `Docs`, as a wrangler.toml would say:
 *
 *   [[durable_objects.bindings]]
 *   name = "DOCS"
 *   class_name = "Docs"
 */
// In your app: import { createPrep, prepFetch } from 'prep-live/server';
import { createPrep, prepFetch } from '../src/server/index.js';
import { docsHandler } from './shared/docs-handler.js';

/** What the Worker uses of a Durable Object namespace binding. */
interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The Durable Object: one `prep`, one set of documents, every stream of them. */
export class Docs {
  readonly fetch: (request: Request) => Promise<Response>;

  constructor() {
    const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
    // workerd tells no client address: one per-client bucket unless you pass `clientOf`
    // (behind Cloudflare's edge, `CF-Connecting-IP` can be trusted).
    this.fetch = prepFetch(prep, docsHandler(prep), {
      clientOf: (request) => request.headers.get('cf-connecting-ip') ?? 'unknown',
    });
  }
}

export default {
  fetch(request: Request, env: { DOCS: DurableObjectNamespaceLike }): Promise<Response> {
    return env.DOCS.get(env.DOCS.idFromName('docs')).fetch(request);
  },
};
