/** What a cross-origin script may read of our responses (SEC-4). */
const EXPOSED =
  // SEC-1, SEC-2: a page can tell a missing token (401) and when to retry a 429.
  'Events, Accept-Events, ETag, Last-Modified, Location, Content-Location, Accept-Patch, Link, Retry-After, WWW-Authenticate';

/** What a preflight allows: the PREP request fields, and what writes need (SEC-4). */
const ALLOWED_REQUEST_HEADERS =
  'Accept-Events, Last-Event-ID, Content-Type, If-Match, If-None-Match, If-Modified-Since, Slug, Authorization';

/**
 * The CORS fields of every answer for `origin` (`false`: CORS off): scripts on other
 * origins may read the PREP fields and validators (SEC-4).
 *
 * @example
 * ```ts
 * for (const [n, v] of corsHeaders('*')) res.setHeader(n, v);
 * ```
 */
export function corsHeaders(origin: string | false): Array<[string, string]> {
  if (origin === false) return [];
  return [
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Expose-Headers', EXPOSED],
  ];
}

/** The fields of a preflight answer (OPTIONS) for a path that takes `allow`. */
export function preflightHeaders(allow: string): Array<[string, string]> {
  return [
    ['Access-Control-Allow-Methods', allow],
    ['Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS],
    ['Access-Control-Max-Age', '600'],
  ];
}
