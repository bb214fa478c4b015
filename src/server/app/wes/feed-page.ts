import { createHash } from 'node:crypto';
import { formatHttpDate } from '@prep-live/client/core';
import {
  MultipartError,
  encodeMultipartDocument,
  type MultipartPartInit,
} from '@prep-live/client/core';
import { isContainerPath, type Store, type StoredEvent } from '../../../store/index.js';

/**
 * How entries name themselves: the entry id (the `self` link's last segment and the
 * fragment of WES-7 redirects), the `Content-ID`, and the URLs of `about` and `self`.
 *
 * @example
 * ```ts
 * const naming: EntryNaming = {
 *   id: (seq) => `${seq}.3f9a0c1d2e`,
 *   contentId: (seq) => `<${seq}.3f9a0c1d2e@example.org>`,
 *   url: (path) => path,
 * };
 * ```
 */
export interface EntryNaming {
  id(seq: number): string;
  contentId(seq: number): string;
  /** A path as it appears in a link (made absolute when the publisher has a base URL). */
  url(path: string): string;
}

/**
 * One feed entry (WES-3) as a multipart part, headers in a fixed order so that a page is
 * byte-identical however often it is built:
 *
 *     Link: <target>; rel="about"
 *     Link: </.well-known/wes/changes/<id>/<container>>; rel="self"
 *     Event-Type: http-equiv=<PUT|PATCH|POST|DELETE>
 *     Content-Type: <type>            (not for DELETE: there is no body)
 *     Last-Modified: <event time>
 *     ETag: <the entity's tag after the event>   (not for DELETE; an extension of ours)
 *     Content-ID: <seq.store@host>
 *     Content-Length: <n>
 *
 * The body (WES-3, WES-6): the full state for PUT and POST, the patch for PATCH (its
 * `Content-Type` is the patch type), empty for DELETE.
 *
 * @example
 * ```ts
 * import { changePath } from './urls.js';
 *
 * declare const event: StoredEvent, naming: EntryNaming; // a feed's event, and its names
 * const part = entryPart(event, naming, (id) => changePath(id, '/notes/'));
 * ```
 */
export function entryPart(
  e: StoredEvent,
  naming: EntryNaming,
  selfPath: (id: string) => string,
): MultipartPartInit {
  const body = e.method === 'DELETE' ? new Uint8Array(0) : (e.body ?? new Uint8Array(0));
  const headers: Array<[string, string]> = [
    // WES-3: `about` is a MUST; `self` on every entry (WES-7).
    ['Link', `<${naming.url(e.path)}>; rel="about"`],
    ['Link', `<${naming.url(selfPath(naming.id(e.seq)))}>; rel="self"`],
    ['Event-Type', `http-equiv=${e.method}`],
  ];
  if (e.method !== 'DELETE' && e.contentType !== null)
    headers.push(['Content-Type', e.contentType]);
  headers.push(['Last-Modified', formatHttpDate(e.time)]);
  if (e.etag !== null && e.method !== 'DELETE') headers.push(['ETag', e.etag]);
  headers.push(['Content-ID', naming.contentId(e.seq)], ['Content-Length', String(body.length)]);
  return { headers, body };
}

/**
 * Encodes a complete multipart document with a boundary derived from `seed`: the same seed
 * and parts give the same bytes, across requests and restarts (archives must not change,
 * WES-5). When a body happens to contain the delimiter, the next derived boundary is tried,
 * which is just as deterministic.
 *
 * @example
 * ```ts
 * declare const storeId: string, parts: MultipartPartInit[]; // a feed page's entries
 * const { boundary, bytes } = encodeDeterministic(`${storeId}\n/notes/\n0\n3`, parts);
 * res.setHeader('Content-Type', `multipart/mixed; boundary="${boundary}"`);
 * ```
 */
export function encodeDeterministic(
  seed: string,
  parts: readonly MultipartPartInit[],
): { boundary: string; bytes: Uint8Array } {
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256').update(`${seed}\n${attempt}`).digest('hex');
    const boundary = `wes-${hash.slice(0, 40)}`;
    try {
      return { boundary, bytes: encodeMultipartDocument(boundary, parts) };
    } catch (err) {
      if (!(err instanceof MultipartError) || err.code !== 'MULTIPART_BODY' || attempt > 16)
        throw err;
    }
  }
}

/**
 * Whether an event of a container is an entry of its feed: it is about a member that is not
 * a container itself (see publisher.ts).
 *
 * @example
 * ```ts
 * isMemberEntry(event); // false for the creation of a sub-container
 * ```
 */
export function isMemberEntry(e: StoredEvent): boolean {
  return !isContainerPath(e.path);
}

/**
 * The container's entries (events about its direct members that `isEntry` takes) after seq
 * `afterSeq`, in seq order: at most `max`, none beyond seq `upTo`.
 *
 * @example
 * ```ts
 * const start = 1; // the first seq of the page
 * const page = await readEntries(store, '/notes/', start - 1, 100, Infinity);
 * ```
 */
export async function readEntries(
  store: Store,
  container: string,
  afterSeq: number,
  max: number,
  upTo: number,
  isEntry: (e: StoredEvent) => boolean = isMemberEntry,
): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor = afterSeq;
  while (out.length < max) {
    const want = max - out.length;
    const batch = await store.events({ parent: container, afterSeq: cursor, limit: want });
    for (const e of batch) {
      if (e.seq > upTo) return out;
      if (isEntry(e)) out.push(e);
    }
    if (batch.length < want) break;
    cursor = (batch.at(-1) as StoredEvent).seq;
  }
  return out;
}
