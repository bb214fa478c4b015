import { DEFAULTS } from '../settings.js';

/**
 * The fields that keep stored content from acting as this origin (SEC-1's origin: the web
 * page and every resource share it): a stored `text/html` or `image/svg+xml` opened in a
 * browser would otherwise run its scripts with the page's origin.
 *
 * @example
 * ```ts
 * const options: ContentSecurity = { csp: "sandbox; default-src 'none'" };
 * ```
 */
export interface ContentSecurity {
  /** `X-Content-Type-Options: nosniff`: browsers take the stored type as it is. Default true. */
  nosniff?: boolean;
  /**
   * The `Content-Security-Policy` of stored content; `false` sends none. Default `sandbox`:
   * a page opened from the store runs no script and has an opaque origin, whatever its type.
   */
  csp?: string | false;
}

/**
 * The fields to send with every stored representation (GET, HEAD, a stream's head, WES
 * snapshot parts and feed pages). All types get them: a type is what the writer said, and
 * the fields harm no passive one.
 *
 * @example
 * ```ts
 * contentSecurityHeaders({}); // [['X-Content-Type-Options', 'nosniff'], ['Content-Security-Policy', 'sandbox']]
 * ```
 */
export function contentSecurityHeaders(options: ContentSecurity = {}): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (options.nosniff !== false) out.push(['X-Content-Type-Options', 'nosniff']);
  const csp = options.csp ?? DEFAULTS.contentCsp;
  if (csp !== false) out.push(['Content-Security-Policy', csp]);
  return out;
}
