/**
 * A GET that may answer 304: the shared first step of reading a listing page and a WES feed
 * page (`If-None-Match` sent when given; a 304's body dropped).
 */
import type { FetchFunction } from './subscribe.js';

/**
 * What {@link conditionalGet} sends.
 *
 * @example
 * ```ts
 * import type { ConditionalGetOptions } from './conditional-get.js';
 *
 * const options: ConditionalGetOptions = { ifNoneMatch: '"page.x"' };
 * ```
 */
export interface ConditionalGetOptions {
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: FetchFunction | undefined;
  /** Extra request header fields. */
  headers?: HeadersInit | undefined;
  /** Sent as `If-None-Match`: a 304 resolves `'not-modified'`. */
  ifNoneMatch?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * GETs `url` asking for `accept`; resolves `'not-modified'` on a 304, else the response.
 *
 * @example
 * ```ts
 * import { conditionalGet } from './conditional-get.js';
 *
 * const res = await conditionalGet('https://example.org/notes/?limit=10', 'application/json', {});
 * ```
 */
export async function conditionalGet(
  url: string,
  accept: string,
  options: ConditionalGetOptions,
): Promise<Response | 'not-modified'> {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = new Headers(options.headers);
  headers.set('Accept', accept);
  if (options.ifNoneMatch) headers.set('If-None-Match', options.ifNoneMatch);
  const init: RequestInit = { headers };
  if (options.signal) init.signal = options.signal;
  const res = await doFetch(url, init);
  if (res.status !== 304) return res;
  await res.body?.cancel();
  return 'not-modified';
}
