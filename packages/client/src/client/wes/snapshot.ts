import { parseMultipart } from '../../core/multipart/index.js';
import { wesError } from './errors.js';
import { multipartOf } from './feed.js';

/**
 * A snapshot index (WES-1), read; `uris` resolved to absolute URLs.
 *
 * @example
 * ```ts
 * const snapshotUrl = 'https://example.org/.well-known/wes/snapshot/notes/';
 * const index: SnapshotIndex = await fetchSnapshotIndex(snapshotUrl);
 * console.log(index.id, new Date(index.started), index.uris.length);
 * ```
 */
export interface SnapshotIndex {
  id: string;
  /** Epoch ms: replay the feed from here (WES-8). */
  started: number;
  completed: number;
  uris: string[];
}

/**
 * One entity of a snapshot part (WES-2).
 *
 * @example
 * ```ts
 * declare const uri: string; // one of a SnapshotIndex's uris
 * for await (const e of readSnapshotPart(uri)) console.log(e.url, e.etag, e.body.length);
 * ```
 */
export interface SnapshotEntity {
  /** `Content-Location`, absolute. */
  url: string;
  contentType: string;
  etag?: string;
  body: Uint8Array;
}

/**
 * Options of {@link fetchSnapshotIndex} and {@link readSnapshotPart}.
 *
 * @example
 * ```ts
 * const options: FetchSnapshotOptions = { method: 'POST' }; // ask for a new one
 * ```
 */
export interface FetchSnapshotOptions {
  fetch?: typeof fetch;
  /** `POST` asks the publisher for a fresh snapshot. Default `GET` (the latest). */
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
}

/**
 * Fetches a snapshot index (WES-1).
 *
 * @example
 * ```ts
 * const index = await fetchSnapshotIndex('https://example.org/.well-known/wes/snapshot/notes/');
 * ```
 */
export async function fetchSnapshotIndex(
  url: string,
  options: FetchSnapshotOptions = {},
): Promise<SnapshotIndex> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const init: RequestInit = {
    method: options.method ?? 'GET',
    headers: { Accept: 'application/json' },
  };
  if (options.signal) init.signal = options.signal;
  const res = await doFetch(url, init);
  if (res.status !== 200 && res.status !== 201) {
    await res.body?.cancel();
    throw wesError('WES_HTTP', `${url} answered ${res.status}`, res.status);
  }
  const base = res.url || url;
  let doc: unknown;
  try {
    doc = await res.json();
  } catch {
    throw wesError('WES_PROTOCOL', `${url}: the snapshot index is not JSON`);
  }
  const o = doc as Partial<Record<keyof SnapshotIndex, unknown>>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.id !== 'string' ||
    typeof o.started !== 'number' ||
    typeof o.completed !== 'number' ||
    !Array.isArray(o.uris) ||
    !o.uris.every((u) => typeof u === 'string')
  )
    throw wesError('WES_PROTOCOL', `${url}: expected { id, started, completed, uris }`);
  return {
    id: o.id,
    started: o.started,
    completed: o.completed,
    uris: o.uris.map((u) => new URL(u, base).href),
  };
}

const CRLF = new Uint8Array([13, 10]);

/**
 * Reads the entities of one snapshot part (WES-2): any multipart subtype, so both the
 * `multipart/mixed` we send and the draft's `multipart/package`. The draft's example omits
 * the first delimiter; a `multipart/package` body that does not start with one is read as if
 * it did.
 *
 * @example
 * ```ts
 * const index = await fetchSnapshotIndex('https://example.org/.well-known/wes/snapshot/notes/');
 * const copy = new Map<string, Uint8Array>();
 * for await (const e of readSnapshotPart(index.uris[0]!)) copy.set(e.url, e.body);
 * ```
 */
export async function* readSnapshotPart(
  url: string,
  options: FetchSnapshotOptions = {},
): AsyncGenerator<SnapshotEntity> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const init: RequestInit = { headers: { Accept: 'multipart/mixed, multipart/package' } };
  if (options.signal) init.signal = options.signal;
  const res = await doFetch(url, init);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw wesError(
      res.status === 404 || res.status === 410 ? 'WES_GONE' : 'WES_HTTP',
      `${url} answered ${res.status}`,
      res.status,
    );
  }
  const base = res.url || url;
  const { subtype, boundary } = multipartOf(res.headers.get('content-type'), url);
  let bytes = new Uint8Array(await res.arrayBuffer());
  const opening = new TextEncoder().encode(`--${boundary}`);
  if (subtype === 'package' && !startsWith(bytes, opening)) {
    const fixed = new Uint8Array(opening.length + CRLF.length + bytes.length);
    fixed.set(opening, 0);
    fixed.set(CRLF, opening.length);
    fixed.set(bytes, opening.length + CRLF.length);
    bytes = fixed;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  for await (const part of parseMultipart(body, boundary)) {
    const location = part.headers.get('content-location');
    if (!location)
      throw wesError('WES_PROTOCOL', `${url}: a snapshot entity without Content-Location`);
    const entity: SnapshotEntity = {
      url: new URL(location, base).href,
      contentType: part.headers.get('content-type') ?? 'text/plain',
      body: await part.bytes(),
    };
    const etag = part.headers.get('etag');
    if (etag) entity.etag = etag;
    yield entity;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
