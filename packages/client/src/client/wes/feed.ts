import { parseHttpDate } from '../../core/http-date.js';
import { parseMediaType } from '../../core/media-type.js';
import { parseMultipart } from '../../core/multipart/index.js';
import { conditionalGet } from '../conditional-get.js';
import { wesError } from './errors.js';
import { findLink, parseLinkHeader } from './link.js';

/**
 * The methods an entry can stand for (`Event-Type: http-equiv=<M>`, WES-6).
 *
 * @example
 * ```ts
 * const m: EntryMethod = 'PATCH';
 * ```
 */
export type EntryMethod = 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/**
 * One feed entry (WES-3), read.
 *
 * @example
 * ```ts
 * declare const page: FeedPage;
 * for (const e of page.entries) console.log(e.id, e.method, e.about, e.lastModified);
 * ```
 */
export interface FeedEntry {
  /** The `Content-ID` without its angle brackets: unique within the feed (WES-4). */
  id: string;
  /** The resource the entry is about, absolute. */
  about: string;
  /** The entry's own URL (WES-7), when the publisher gives one. */
  self?: string;
  method: EntryMethod;
  /** The body's media type (for PATCH, the patch type); absent for DELETE. */
  contentType?: string;
  /** Epoch ms (whole seconds, as sent). */
  lastModified: number;
  /** The entity's tag after the event, when the publisher says (our extension). */
  etag?: string;
  body: Uint8Array;
}

/**
 * A feed document, read: the subscription document or an archive (WES-5).
 *
 * @example
 * ```ts
 * const page = await fetchFeedPage('https://example.org/.well-known/wes/feed/notes/');
 * if (page !== 'not-modified') console.log(page.entries.length, page.prevArchive);
 * ```
 */
export interface FeedPage {
  /** The URL it was read from (after redirects). */
  url: string;
  etag?: string;
  entries: FeedEntry[];
  prevArchive?: string;
  nextArchive?: string;
  current?: string;
}

/**
 * Options of {@link fetchFeedPage}.
 *
 * @example
 * ```ts
 * const options: FetchFeedOptions = { ifNoneMatch: '"wes.abc.0.3.empty"' };
 * ```
 */
export interface FetchFeedOptions {
  fetch?: typeof fetch;
  /** Sent as `If-None-Match`; a 304 resolves `'not-modified'`. */
  ifNoneMatch?: string;
  signal?: AbortSignal;
}

const METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/**
 * Fetches and reads one feed document. A 404 or 410 rejects with `WES_GONE` (the history is
 * not there: start over from a snapshot), any other failure with `WES_HTTP`.
 *
 * @example
 * ```ts
 * const page = await fetchFeedPage('https://example.org/.well-known/wes/feed/notes/');
 * ```
 */
export async function fetchFeedPage(
  url: string,
  options: FetchFeedOptions = {},
): Promise<FeedPage | 'not-modified'> {
  const res = await conditionalGet(url, 'multipart/mixed', options);
  if (res === 'not-modified') return res;
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    throw wesError(
      'WES_GONE',
      `${url} answered ${res.status}: the feed no longer has it`,
      res.status,
    );
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw wesError('WES_HTTP', `${url} answered ${res.status}`, res.status);
  }
  return readFeedPage(res, url);
}

/**
 * Reads a feed document from a 200 response: its `Link`s (RFC 5005) and its entries
 * (WES-3), whose bodies are read whole.
 *
 * @example
 * ```ts
 * const page = await readFeedPage(await fetch(url), url);
 * ```
 */
export async function readFeedPage(res: Response, requested: string): Promise<FeedPage> {
  const url = res.url || requested;
  const links = parseLinkHeader(res.headers.get('link'), url);
  const page: FeedPage = { url, entries: [] };
  const etag = res.headers.get('etag');
  if (etag) page.etag = etag;
  const prev = findLink(links, 'prev-archive');
  if (prev) page.prevArchive = prev;
  const next = findLink(links, 'next-archive');
  if (next) page.nextArchive = next;
  const current = findLink(links, 'current');
  if (current) page.current = current;
  const boundary = boundaryOf(res.headers.get('content-type'), url);
  if (!res.body) throw wesError('WES_PROTOCOL', `${url}: a feed page without a body`);
  for await (const part of parseMultipart(res.body, boundary)) {
    page.entries.push(readEntry(part.headers, await part.bytes(), url));
  }
  return page;
}

/**
 * The `boundary` of a multipart `Content-Type`; rejects anything else with `WES_PROTOCOL`.
 *
 * @example
 * ```ts
 * boundaryOf('multipart/mixed; boundary="abc"', url); // 'abc'
 * ```
 */
export function boundaryOf(contentType: string | null, url: string): string {
  return multipartOf(contentType, url).boundary;
}

/**
 * The subtype and `boundary` of a multipart `Content-Type`, parsed once; rejects anything
 * else with `WES_PROTOCOL`. Internal to the WES client.
 *
 * @example
 * ```ts
 * multipartOf('multipart/package; boundary=abc', url); // { subtype: 'package', boundary: 'abc' }
 * ```
 */
export function multipartOf(
  contentType: string | null,
  url: string,
): { subtype: string; boundary: string } {
  try {
    const mt = contentType ? parseMediaType(contentType) : undefined;
    const boundary = mt?.type === 'multipart' ? mt.parameters.get('boundary') : undefined;
    if (mt && boundary) return { subtype: mt.subtype, boundary };
  } catch {
    // reported below
  }
  throw wesError(
    'WES_PROTOCOL',
    `${url}: expected a multipart document, got ${contentType ?? 'no Content-Type'}`,
  );
}

/** WES-3: an entry's header fields and body. */
function readEntry(headers: Headers, body: Uint8Array, url: string): FeedEntry {
  const links = parseLinkHeader(headers.get('link'), url);
  const about = findLink(links, 'about');
  const rawId = headers.get('content-id')?.trim();
  const eventType = headers.get('event-type') ?? '';
  const method = /http-equiv\s*=\s*"?([A-Za-z]+)"?/.exec(eventType)?.[1]?.toUpperCase();
  const lastModified = parseHttpDate(headers.get('last-modified') ?? '');
  if (!about || !rawId || !method || !METHODS.has(method) || !lastModified)
    throw wesError(
      'WES_PROTOCOL',
      `${url}: an entry lacks Link rel="about", Content-ID, Event-Type or Last-Modified`,
    );
  const entry: FeedEntry = {
    id: rawId.replace(/^<|>$/g, ''),
    about,
    method: method as EntryMethod,
    lastModified: lastModified.getTime(),
    body,
  };
  const self = findLink(links, 'self');
  if (self) entry.self = self;
  const type = headers.get('content-type');
  if (type && method !== 'DELETE') entry.contentType = type;
  const etag = headers.get('etag');
  if (etag) entry.etag = etag;
  return entry;
}
