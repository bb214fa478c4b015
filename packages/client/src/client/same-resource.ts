/**
 * Whether a URI reference (a notification's `Content-Location`, N822-6) names the resource
 * at `url`: both resolved against `url` (and, in a browser, the page), fragments ignored.
 * Internal to the client.
 *
 * @example
 * ```ts
 * import { sameResource } from './same-resource.js';
 *
 * sameResource('/doc', 'https://example.org/doc'); // true
 * sameResource('/doc/1', 'https://example.org/doc'); // false
 * ```
 */
export function sameResource(reference: string, url: string): boolean {
  try {
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    const base = new URL(url, page);
    const other = new URL(reference, base);
    base.hash = '';
    other.hash = '';
    return base.href === other.href;
  } catch {
    return reference === url;
  }
}

/**
 * Whether a notification is about the resource at `url` itself (N822-6): it has no
 * `Content-Location`, or one naming `url`. Internal to the client.
 *
 * @example
 * ```ts
 * import { isAboutResource } from './same-resource.js';
 *
 * isAboutResource(undefined, 'https://example.org/c/'); // true
 * isAboutResource('/c/a', 'https://example.org/c/'); // false
 * ```
 */
export function isAboutResource(contentLocation: string | undefined, url: string): boolean {
  return contentLocation === undefined || sameResource(contentLocation, url);
}
