import { StoreError } from './errors.js';

/**
 * The root container's path. It always exists.
 *
 * @example
 * ```ts
 * await store.members(ROOT); // the top-level resources
 * ```
 */
export const ROOT = '/';

/**
 * Whether `path` names a container (ends with `/`).
 *
 * @example
 * ```ts
 * isContainerPath('/notes/'); // true
 * isContainerPath('/notes/a'); // false
 * ```
 */
export function isContainerPath(path: string): boolean {
  return path.endsWith('/');
}

/**
 * Throws `StoreError` `STORE_INVALID` (400) unless `path` is an absolute URL path the store
 * accepts: it starts with `/`, has no empty, `.` or `..` segment (only a container's trailing
 * `/` leaves an empty last segment), and no `?`, `#` or control character. Decoding and
 * normalising request targets is the server's job; this only keeps the tree well formed.
 *
 * @example
 * ```ts
 * assertValidPath('/notes/a'); // ok
 * assertValidPath('/notes//a'); // throws STORE_INVALID
 * ```
 */
export function assertValidPath(path: string): void {
  const bad = (why: string): never => {
    throw new StoreError('STORE_INVALID', `Invalid path ${JSON.stringify(path)}: ${why}`, {
      status: 400,
    });
  };
  if (typeof path !== 'string' || !path.startsWith('/')) bad('expected an absolute path');
  if (path === ROOT) return;
  // eslint-disable-next-line no-control-regex
  if (/[?#\u0000-\u001f\u007f]/.test(path)) bad('no query, fragment or control character');
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  segments.forEach((s, i) => {
    if (s === '' && i !== last) bad('empty segment');
    if (s === '.' || s === '..') bad('dot segment');
  });
}

/**
 * The direct parent container of `path`, or null for the root.
 *
 * @example
 * ```ts
 * parentOf('/notes/a'); // '/notes/'
 * parentOf('/notes/'); // '/'
 * parentOf('/'); // null
 * ```
 */
export function parentOf(path: string): string | null {
  if (path === ROOT) return null;
  const end = isContainerPath(path) ? path.length - 1 : path.length;
  return path.slice(0, path.lastIndexOf('/', end - 1) + 1);
}

/**
 * Every container above `path`, the root first.
 *
 * @example
 * ```ts
 * ancestorsOf('/a/b/c'); // ['/', '/a/', '/a/b/']
 * ```
 */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(path); p !== null; p = parentOf(p)) out.push(p);
  return out.reverse();
}

/**
 * The other spelling of the same name: `/a/` for `/a` and back; null for the root. The store
 * never holds both, since a URL cannot be a container and a non-container at once.
 *
 * @example
 * ```ts
 * twinOf('/a'); // '/a/'
 * twinOf('/a/'); // '/a'
 * ```
 */
export function twinOf(path: string): string | null {
  if (path === ROOT) return null;
  return isContainerPath(path) ? path.slice(0, -1) : `${path}/`;
}

/**
 * Orders paths by Unicode code point, which is UTF-8 byte order: the order SQLite's BINARY
 * collation (and PostgreSQL's `COLLATE "C"`) gives, so every store lists members alike.
 * JavaScript's default string order compares UTF-16 code units and differs above U+FFFF.
 *
 * @example
 * ```ts
 * ['/b', '/a'].sort(comparePaths); // ['/a', '/b']
 * ```
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800-0xDFFF) starts a code point above U+FFFF, which sorts after every
    // BMP code unit, including 0xE000-0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
