/**
 * Paging through a container on our server (`prep serve`): its paged listing
 * (`GET /c/?limit=&after=`) names each member with its ETag, content type and last-modified
 * time, a page at a time, each page linking to the next (`Link: <…>; rel="next"`).
 */
import { PrepError } from '../core/errors.js';
import { parseHttpDate } from '../core/http-date.js';
import { conditionalGet } from './conditional-get.js';
import type { FetchFunction } from './subscribe.js';
import { findLink, parseLinkHeader } from './wes/link.js';

/**
 * One member of a container, as its listing page names it.
 *
 * @example
 * ```ts
 * import type { ContainerMember } from './members.js';
 *
 * const m: ContainerMember = {
 *   path: '/notes/a',
 *   url: 'https://example.org/notes/a',
 *   etag: '"3f9a"',
 *   contentType: 'application/json',
 *   lastModified: Date.parse('Mon, 07 Dec 2026 19:40:56 GMT'),
 * };
 * ```
 */
export interface ContainerMember {
  /** Its path; a container's ends with `/`. */
  path: string;
  /** Its absolute URL. */
  url: string;
  /** Its strong entity tag, as a GET of it answers (for `If-None-Match`, `If-Match`). */
  etag: string;
  contentType: string;
  /** Epoch milliseconds, whole seconds (its `Last-Modified`). */
  lastModified: number;
}

/**
 * One page of a container's listing.
 *
 * @example
 * ```ts
 * import { fetchMemberPage, memberPageUrl } from './members.js';
 *
 * const page = await fetchMemberPage(memberPageUrl('https://example.org/notes/', { limit: 50 }));
 * if (page !== 'not-modified') console.log(page.members.length, page.next);
 * ```
 */
export interface MemberPage {
  /** The URL it was read from (after redirects). */
  url: string;
  /** The container's path. */
  container: string;
  /** Its members on this page, in path order (only those the reader may read). */
  members: ContainerMember[];
  /** The next page's absolute URL; undefined on the last page. */
  next: string | undefined;
  /** The page's entity tag: send it back as `ifNoneMatch` to learn whether it changed. */
  etag: string | undefined;
}

/**
 * Which page, and how a page is fetched.
 *
 * @example
 * ```ts
 * import type { MemberPageOptions } from './members.js';
 *
 * const options: MemberPageOptions = { limit: 200, contains: 'report' };
 * ```
 */
export interface MemberPageOptions {
  /** Members per page; the server caps it (`--max-listing-page`). Default: the server's. */
  limit?: number;
  /** Start after this member's path. Default: from the first. */
  after?: string;
  /** Only members whose name (decoded, case-insensitive) contains this. */
  contains?: string;
  /** Extra request header fields (`Authorization`, ...). */
  headers?: HeadersInit;
  /** Sent as `If-None-Match`: a 304 resolves `'not-modified'`. */
  ifNoneMatch?: string;
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: FetchFunction;
  signal?: AbortSignal;
}

/**
 * The URL of a page of the container at `containerUrl`: the first one (`?limit=` or, without
 * options, `?after=`), or the one after `after`.
 *
 * @example
 * ```ts
 * import { memberPageUrl } from './members.js';
 *
 * memberPageUrl('https://example.org/notes/', { limit: 50 }); // 'https://example.org/notes/?limit=50'
 * ```
 */
export function memberPageUrl(
  containerUrl: string | URL,
  options: Pick<MemberPageOptions, 'limit' | 'after' | 'contains'> = {},
): string {
  const url = new URL(containerUrl, globalThis.location?.href);
  url.search = '';
  const params = url.searchParams;
  const { limit, after, contains } = options;
  if (limit !== undefined) params.set('limit', String(limit));
  if (contains !== undefined && contains !== '') params.set('contains', contains);
  // `after=` alone says "the paged form, from the first".
  if (after !== undefined || params.toString() === '') params.set('after', after ?? '');
  return url.href;
}

/**
 * Fetches one page of a container's listing (from {@link memberPageUrl}, or a page's
 * `next`). Rejects with a `PrepError`: `LISTING_HTTP` (with `status`) when the answer is
 * not 200 or 304, `LISTING_INVALID` when it is not a paged listing (a server without them
 * answers the plain form, `{"path","members":[paths]}`).
 *
 * @example
 * ```ts
 * import { fetchMemberPage } from './members.js';
 *
 * const page = await fetchMemberPage('https://example.org/notes/?limit=100');
 * ```
 */
export async function fetchMemberPage(
  url: string,
  options: Omit<MemberPageOptions, 'limit' | 'after' | 'contains'> = {},
): Promise<MemberPage | 'not-modified'> {
  const res = await conditionalGet(url, 'application/json', options);
  if (res === 'not-modified') return res;
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new PrepError('LISTING_HTTP', `${url} answered ${res.status}`, { status: res.status });
  }
  const at = res.url || url;
  const page = parseMemberPage(await res.json().catch(() => undefined), at);
  const next = findLink(parseLinkHeader(res.headers.get('link'), at), 'next') ?? page.next;
  return { ...page, next, etag: res.headers.get('etag') ?? undefined };
}

/**
 * Every member of the container at `containerUrl`, in path order, page after page: a
 * request per page, however large the container.
 *
 * @example
 * ```ts
 * import { listMembers } from './members.js';
 *
 * for await (const m of listMembers('https://example.org/notes/', { limit: 500 }))
 *   console.log(m.path, m.etag, new Date(m.lastModified).toISOString());
 * ```
 */
export async function* listMembers(
  containerUrl: string | URL,
  options: MemberPageOptions = {},
): AsyncGenerator<ContainerMember, void, undefined> {
  let url: string | undefined = memberPageUrl(containerUrl, options);
  // The query is in the URL; no If-None-Match goes out, so no page is 'not-modified'.
  const {
    limit: _limit,
    after: _after,
    contains: _contains,
    ifNoneMatch: _ifNoneMatch,
    ...fetchOptions
  } = options;
  while (url !== undefined) {
    const page = await fetchMemberPage(url, fetchOptions);
    if (page === 'not-modified') return;
    yield* page.members;
    url = page.next;
  }
}

/**
 * A paged listing's body (`value`, parsed JSON, read from `url`), checked: what
 * {@link fetchMemberPage} returns, with `etag` undefined and `next` from the body. For a page
 * read some other way, such as a PREP stream of it (part 1 is the page). Throws a
 * `PrepError` `LISTING_INVALID` when it is not a paged listing.
 *
 * @example
 * ```ts
 * import { parseMemberPage } from './members.js';
 *
 * const page = parseMemberPage(
 *   { path: '/notes/', members: [], next: '/notes/?limit=1&after=%2Fnotes%2Fa' },
 *   'https://example.org/notes/?limit=1',
 * );
 * page.next; // 'https://example.org/notes/?limit=1&after=%2Fnotes%2Fa'
 * ```
 */
export function parseMemberPage(value: unknown, url: string): MemberPage {
  const doc = value as { path?: unknown; members?: unknown; next?: unknown } | undefined;
  const invalid = (why: string) =>
    new PrepError('LISTING_INVALID', `${url} is not a paged container listing: ${why}`);
  if (typeof doc?.path !== 'string' || !Array.isArray(doc.members))
    throw invalid('no "path" and "members"');
  const members = doc.members.map((m: unknown): ContainerMember => {
    const e = m as Partial<Record<keyof ContainerMember, unknown>>;
    const lastModified =
      typeof e?.lastModified === 'string' ? parseHttpDate(e.lastModified) : undefined;
    if (
      typeof e?.path !== 'string' ||
      typeof e.etag !== 'string' ||
      typeof e.contentType !== 'string' ||
      lastModified === undefined
    )
      throw invalid('a member without path, etag, contentType and lastModified');
    return {
      path: e.path,
      url: new URL(e.path, url).href,
      etag: e.etag,
      contentType: e.contentType,
      lastModified: lastModified.getTime(),
    };
  });
  const next = typeof doc.next === 'string' ? new URL(doc.next, url).href : undefined;
  return { url, container: doc.path, members, next, etag: undefined };
}
