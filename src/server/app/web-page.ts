/**
 * Serves the live web page (`src/web/`): the HTML shell at `GET /` for browsers, and its
 * script and style sheet under `/.well-known/prep/web/`. The script is bundled for browsers
 * with esbuild once, when the page is created, and kept in memory; asset URLs carry a
 * content hash, so browsers cache them for good and never run a stale one.
 *
 * The resource server calls `handle` first (a pre-handler); everything the page does not
 * serve (every resource, and `GET /` from anything that is not a browser) is left to it.
 * `/` is then negotiated by `Accept`, which the page says (`negotiates`), so that both
 * answers of `/`, the HTML and the JSON, send the same `Vary`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notModified } from './preconditions.js';

/** Where the page's assets are served. */
export const WEB_PAGE_PREFIX = '/.well-known/prep/web/';

/**
 * Options of {@link createWebPage}.
 *
 * @example
 * ```ts
 * import type { WebPageOptions } from './web-page.js';
 *
 * const options: WebPageOptions = { minify: false };
 * ```
 */
export interface WebPageOptions {
  /**
   * The page's folder: `app.bundle.js` (built) or `app.ts` / `app.js` (bundled on start), and
   * `static/index.html`, `static/style.css`. Default: `web` beside this module's folder
   * (`src/web` in a checkout, `dist/web` in a built package).
   */
  root?: string;
  /** Minify the bundle. Default true. */
  minify?: boolean;
}

/**
 * The page: a node:http handler that answers what belongs to the page and returns true, or
 * returns false and leaves the response alone; a resource server's pre-handler.
 *
 * @example
 * ```ts
 * import type { WebPage } from './web-page.js';
 * import { createResourceServer } from './resource-server.js';
 *
 * const serverWith = (page: WebPage) => createResourceServer({ store, preHandlers: [page] });
 * ```
 */
export interface WebPage {
  /**
   * `path`: the request's normalized path when the caller has it (the resource server's
   * `targetPath`); without it, the path of `req.url` as sent.
   */
  handle(req: IncomingMessage, res: ServerResponse, path?: string): boolean;
  /**
   * The request fields the page picks its answer or the resource server's by: `Accept` for
   * `/` (HTML for browsers, the root container's JSON for others), none elsewhere. Both
   * answers list them in `Vary`.
   */
  negotiates(path: string): readonly string[];
  /** Bytes of each asset (`app.js`, `style.css`) and of the HTML shell (`index.html`). */
  readonly sizes: Readonly<Record<string, number>>;
}

/** One file the page serves, with its validator. */
interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The content hash in its URL (`?v=`): with it, the asset can be cached forever. */
  version: string;
}

/**
 * What the HTML shell may load: only its own script and style sheet, and requests to this
 * origin (the resources); no inline script, no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FOREVER = 'public, max-age=31536000, immutable';
const NEGOTIATED: readonly string[] = Object.freeze(['Accept']);

/**
 * Builds the page: reads the shell and the style sheet, bundles `app.ts` for browsers with
 * esbuild (a devDependency: present after `npm ci`), and returns its handler. Rejects with
 * a message that says what is missing when the sources or esbuild are not there.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createResourceServer } from './resource-server.js';
 * import { createWebPage } from './web-page.js';
 *
 * const page = await createWebPage();
 * // A pre-handler: the resource server's JSON of `/` then varies by Accept as the HTML does.
 * const app = createResourceServer({ store, preHandlers: [page] });
 * http.createServer(app.handle).listen(8080);
 * ```
 */
export async function createWebPage(options: WebPageOptions = {}): Promise<WebPage> {
  const root = options.root ?? findWebRoot();
  // A built package carries the bundle (scripts/build.mjs): no esbuild needed at run time.
  const prebuilt = join(root, 'app.bundle.js');
  const entry = ['app.ts', 'app.js'].map((f) => join(root, f)).find((f) => existsSync(f));
  if (entry === undefined && !existsSync(prebuilt))
    throw new Error(`the web page has no app.ts, app.js or app.bundle.js in ${root}`);
  const [shell, css, js] = await Promise.all([
    readFile(join(root, 'static', 'index.html'), 'utf8'),
    readFile(join(root, 'static', 'style.css')),
    existsSync(prebuilt) ? readFile(prebuilt) : bundle(entry!, options.minify ?? true),
  ]);
  const assets = new Map<string, Asset>([
    ['app.js', asset(js, 'text/javascript; charset=utf-8')],
    ['style.css', asset(css, 'text/css; charset=utf-8')],
  ]);
  const html = shell.replace(/\{\{(app\.js|style\.css)\}\}/g, (_, name: string) => {
    const a = assets.get(name)!;
    return `${WEB_PAGE_PREFIX}${name}?v=${a.version}`;
  });
  const page = asset(Buffer.from(html), 'text/html; charset=utf-8');

  return {
    sizes: {
      'index.html': page.body.length,
      'app.js': js.length,
      'style.css': css.length,
    },
    negotiates: (path) => (path === '/' ? NEGOTIATED : []),
    handle(req, res, normalized) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return false;
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const path = normalized ?? (q < 0 ? target : target.slice(0, q));
      if (path === '/') {
        // A notifications request, or a client that wants the container's JSON: not ours.
        if (req.headers['accept-events'] !== undefined) return false;
        if (!prefersHtml(req.headers.accept)) return false;
        // The resource server set the Vary of `/` (`negotiates`); alone, the page sets its own.
        if (!res.hasHeader('vary')) res.setHeader('Vary', 'Accept, Accept-Events');
        send(req, res, page, 'no-cache', [
          ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
          ['Referrer-Policy', 'no-referrer'],
        ]);
        return true;
      }
      if (!path.startsWith(WEB_PAGE_PREFIX)) return false;
      const found = assets.get(path.slice(WEB_PAGE_PREFIX.length));
      if (found === undefined) return false;
      const version = new URLSearchParams(q < 0 ? '' : target.slice(q + 1)).get('v');
      send(req, res, found, version === found.version ? FOREVER : 'no-cache', []);
      return true;
    },
  };
}

/** `web` beside the server's folder: `src/server/app/` → `src/web/`, `dist/server/app/` → `dist/web/`. */
function findWebRoot(): string {
  const candidates = ['../../web/', '../../../src/web/'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const root = candidates.find((dir) => existsSync(join(dir, 'static', 'index.html')));
  if (root === undefined)
    throw new Error(`the web page's sources are not there (looked in ${candidates.join(', ')})`);
  return root;
}

/** The browser bundle of `entry`, built in memory. */
async function bundle(entry: string, minify: boolean): Promise<Buffer> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new Error(
      `the web page is bundled with esbuild, which is not installed (npm install esbuild): ${(e as Error).message}`,
      { cause: e },
    );
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify,
    write: false,
    outfile: 'app.js',
    legalComments: 'none',
    logLevel: 'silent',
    // A checkout bundles the client package's sources, not a build of them that may be stale.
    conditions: ['prep-live-source'],
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no bundle for the web page');
  return Buffer.from(out.contents);
}

function asset(body: Buffer, type: string): Asset {
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, type, etag: `"${version}"`, version };
}

/** Sends an asset: 304 when the client has it (If-None-Match), no body for HEAD. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  a: Asset,
  cacheControl: string,
  extra: ReadonlyArray<readonly [string, string]>,
): void {
  res.setHeader('ETag', a.etag);
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of extra) res.setHeader(name, value);
  if (notModified(req, a)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', a.type);
  res.setHeader('Content-Length', a.body.length);
  res.end(req.method === 'HEAD' ? undefined : a.body);
}

/**
 * Whether an `Accept` value prefers HTML to JSON: `text/html` (or XHTML) is listed by name
 * with a weight at least that of `application/json` (from its most specific match, so
 * `*\/*` counts for JSON). Browsers send `text/html,...,*\/*;q=0.8`; curl and fetch send
 * `*\/*`, and get the root container's JSON.
 *
 * @example
 * ```ts
 * prefersHtml('text/html,application/xhtml+xml,*\/*;q=0.8'); // true
 * prefersHtml('*\/*'); // false
 * prefersHtml('application/json, text/html;q=0.5'); // false
 * ```
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let json = { specificity: -1, q: 0 };
  for (const entry of accept.split(',')) {
    const [range = '', ...params] = entry.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (range === 'text/html' || range === 'application/xhtml+xml') html = Math.max(html, q);
    const specificity =
      range === 'application/json' ? 2 : range === 'application/*' ? 1 : range === '*/*' ? 0 : -1;
    if (specificity > json.specificity || (specificity === json.specificity && q > json.q))
      if (specificity >= 0) json = { specificity, q };
  }
  return html > 0 && html >= json.q;
}
