/**
 * A container's representations: its listing. The plain form, `{"path","members":[paths]}`,
 * is what `GET /c/` has always answered (and what its deltas and notifications' ETags are
 * of). The paged form, asked for with a query (`?limit=`, `?after=`, `?contains=`), names
 * each member with its ETag, content type and last-modified time, a bounded page at a time,
 * with `Link: <…>; rel="next"` to the next page.
 *
 * Why a query and not a media-type profile: a page needs a URL of its own for its `next`
 * link anyway, and each page being its own resource keeps caches right without `Vary:
 * Accept` on every container answer (a page's ETag is of its own bytes; the plain form's
 * stays the container's membership tag).
 */
import { createHash } from 'node:crypto';
import { formatHttpDate } from '@prep-live/client/core';
import type { ResourceMeta, Store } from '../../store/index.js';
import { HttpError } from '../http-error.js';
import { DEFAULTS } from '../settings.js';

/** The page-size bounds of listings (SEC-2: what one request may make the server read). */
export interface ListingBounds {
  /** Members per page when the request names no `limit`. Default 100. */
  pageSize: number;
  /** The largest `limit` honoured; a larger one is served as this. Default 1000. */
  maxPageSize: number;
}

/** The defaults of {@link ListingBounds}. */
export const DEFAULT_LISTING_BOUNDS: Readonly<ListingBounds> = Object.freeze({
  pageSize: DEFAULTS.listingPage,
  maxPageSize: DEFAULTS.maxListingPage,
});

/**
 * With a filter (`contains`, or an access policy's), a request reads at most this many
 * pages' worth of members (by `maxPageSize`) looking for matches; a page that stops there
 * holds fewer members than its limit and still links to the next.
 */
const SCAN_PAGES = 10;

/** What a paged listing request asks for (`?limit=&after=&contains=`). */
export interface ListingQuery {
  /** Members after this path (exclusive); absent: from the first. */
  after: string | undefined;
  /** Members on the page, within the bounds. */
  limit: number;
  /** Only members whose name (decoded, case-insensitive) contains this. */
  contains: string | undefined;
}

/** The query parameters that ask for the paged form; others are ignored. */
const PAGED = ['limit', 'after', 'contains'];

/**
 * The paged-listing query of a request to the container `path`, or `undefined` for the
 * plain form (no `limit`, `after` or `contains` in the query). A `limit` that is not a
 * positive integer, or an `after` that is not in the container, is a 400
 * (`BAD_LISTING_QUERY`); a `limit` above `maxPageSize` is served as `maxPageSize`.
 *
 * @example
 * ```ts
 * readListingQuery('/c/?limit=10&after=%2Fc%2Fa', '/c/', DEFAULT_LISTING_BOUNDS);
 * // { after: '/c/a', limit: 10, contains: undefined }
 * readListingQuery('/c/', '/c/', DEFAULT_LISTING_BOUNDS); // undefined
 * ```
 */
export function readListingQuery(
  url: string,
  path: string,
  bounds: ListingBounds,
): ListingQuery | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  if (!PAGED.some((name) => params.has(name))) return undefined;
  const limitText = params.get('limit');
  let limit = bounds.pageSize;
  if (limitText !== null) {
    if (!/^[0-9]{1,9}$/.test(limitText) || Number(limitText) < 1)
      throw new HttpError(
        400,
        'BAD_LISTING_QUERY',
        `limit must be a positive integer, got ${JSON.stringify(limitText.slice(0, 20))}.`,
      );
    limit = Number(limitText);
  }
  const after = params.get('after') ?? '';
  if (after !== '' && !(after.startsWith(path) && after.length > path.length))
    throw new HttpError(
      400,
      'BAD_LISTING_QUERY',
      `after must be the path of a member of ${path} (the last one of the page before).`,
    );
  const contains = params.get('contains') ?? '';
  return {
    after: after === '' ? undefined : after,
    limit: Math.min(limit, bounds.maxPageSize),
    contains: contains === '' ? undefined : contains,
  };
}

/** A container's plain listing: `{"path","members":[paths]}` (SEC-1: `canRead` filters). */
export async function plainListing(
  store: Store,
  path: string,
  canRead: ((member: string) => boolean) | undefined,
): Promise<Uint8Array | undefined> {
  let members = await store.members(path);
  if (members === undefined) return undefined;
  if (canRead) members = members.filter((m) => canRead(m.path));
  return Buffer.from(JSON.stringify({ path, members: members.map((m) => m.path) }));
}

/** One page of a paged listing, ready to send. */
export interface ListingPage {
  body: Uint8Array;
  /** A strong tag of the page's bytes. */
  etag: string;
  /** The newest of the container's and its listed members' times. */
  lastModified: number;
  /** The next page's URL (path and query), when there may be more members. */
  next: string | undefined;
}

/**
 * One page of the paged listing of `container` (last modified at `containerModified`):
 * `{"path","members":[{"path","etag","contentType","lastModified"}],"next"?}`, members in
 * path order, each with its own `ETag` and `Last-Modified` as a GET of it answers them.
 * Only members `canRead` allows (SEC-1) and whose name matches `contains` are listed; the
 * store is read a page at a time, at most `SCAN_PAGES` × `maxPageSize` members per request.
 * `undefined` when the container is gone.
 */
export async function listingPage(
  store: Store,
  container: { path: string; lastModified: number },
  query: ListingQuery,
  bounds: ListingBounds,
  canRead: ((member: string) => boolean) | undefined,
): Promise<ListingPage | undefined> {
  const { path } = container;
  const needle = query.contains?.toLowerCase();
  const matches = (m: ResourceMeta): boolean =>
    (canRead === undefined || canRead(m.path)) &&
    (needle === undefined || nameOf(path, m.path).toLowerCase().includes(needle));
  const maxScan = SCAN_PAGES * bounds.maxPageSize;
  const listed: ResourceMeta[] = [];
  let cursor = query.after;
  let scanned = 0;
  let more = true;
  // Read one more than the page holds: whether there is a next page is then known.
  scan: while (more) {
    const chunk = await store.members(path, { after: cursor, limit: query.limit + 1 });
    if (chunk === undefined) return undefined;
    more = chunk.length === query.limit + 1;
    for (const m of chunk) {
      if (listed.length === query.limit || scanned === maxScan) {
        more = true; // `m` is there, after the last member read
        break scan;
      }
      scanned++;
      cursor = m.path;
      if (matches(m)) listed.push(m);
    }
  }
  const next = more && cursor !== undefined ? nextUrl(path, query, cursor) : undefined;
  const doc: Record<string, unknown> = {
    path,
    members: listed.map((m) => ({
      path: m.path,
      etag: m.etag,
      contentType: m.contentType,
      lastModified: formatHttpDate(m.lastModified),
    })),
  };
  if (next !== undefined) doc.next = next;
  const body = Buffer.from(JSON.stringify(doc));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return {
    body,
    etag: `"page.${hash}"`,
    lastModified: Math.max(container.lastModified, ...listed.map((m) => m.lastModified)),
    next,
  };
}

/** The URL of the page after `cursor`, with the same limit and filter. */
function nextUrl(path: string, query: ListingQuery, cursor: string): string {
  const params = new URLSearchParams({ limit: String(query.limit), after: cursor });
  if (query.contains !== undefined) params.set('contains', query.contains);
  return `${path}?${params.toString()}`;
}

/** A member's name, as a person reads it: its last segment, percent-decoded. */
function nameOf(container: string, member: string): string {
  const name = member.slice(container.length).replace(/\/$/, '');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
