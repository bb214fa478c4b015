/**
 * Resource paths in the page: the location hash names the open resource (`#/notes/a`), so
 * the page itself is only ever served at `/` and the back button works.
 */

/**
 * The resource path a location hash names; `/` for none.
 *
 * @example
 * ```ts
 * import { pathFromHash } from './paths.js';
 *
 * pathFromHash('#/notes/a'); // '/notes/a'
 * pathFromHash(''); // '/'
 * ```
 */
export function pathFromHash(hash: string): string {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw.startsWith('/')) return '/';
  // Keep percent-encoding as it is (the server's paths keep it); drop a query or a fragment.
  return raw.replace(/[?#].*$/, '') || '/';
}

/**
 * The hash that opens `path`.
 *
 * @example
 * ```ts
 * import { hashOf } from './paths.js';
 *
 * hashOf('/notes/a'); // '#/notes/a'
 * ```
 */
export function hashOf(path: string): string {
  return `#${path}`;
}

/**
 * Whether a path names a container (it ends in `/`).
 *
 * @example
 * ```ts
 * import { isContainer } from './paths.js';
 *
 * isContainer('/notes/'); // true
 * ```
 */
export function isContainer(path: string): boolean {
  return path.endsWith('/');
}

/**
 * The container a path is a member of; `undefined` for the root.
 *
 * @example
 * ```ts
 * import { parentOf } from './paths.js';
 *
 * parentOf('/notes/a'); // '/notes/'
 * parentOf('/notes/'); // '/'
 * parentOf('/'); // undefined
 * ```
 */
export function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const trimmed = isContainer(path) ? path.slice(0, -1) : path;
  return trimmed.slice(0, trimmed.lastIndexOf('/') + 1);
}

/**
 * The last segment of a path, with the `/` of a container: `a`, `notes/`, or `/` for the root.
 *
 * @example
 * ```ts
 * import { nameOf } from './paths.js';
 *
 * nameOf('/notes/a'); // 'a'
 * nameOf('/notes/'); // 'notes/'
 * ```
 */
export function nameOf(path: string): string {
  if (path === '/') return '/';
  const trimmed = isContainer(path) ? path.slice(0, -1) : path;
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return isContainer(path) ? `${name}/` : name;
}

/**
 * The breadcrumb trail of a path: every container from the root down, then the path.
 *
 * @example
 * ```ts
 * import { trailOf } from './paths.js';
 *
 * trailOf('/notes/a'); // ['/', '/notes/', '/notes/a']
 * ```
 */
export function trailOf(path: string): string[] {
  const trail: string[] = [];
  for (let p: string | undefined = path; p !== undefined; p = parentOf(p)) trail.unshift(p);
  return trail;
}

/**
 * Decodes a path for display (`/caf%C3%A9` → `/café`), or keeps it when it does not decode.
 *
 * @example
 * ```ts
 * import { displayPath } from './paths.js';
 *
 * displayPath('/caf%C3%A9'); // '/café'
 * ```
 */
export function displayPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
