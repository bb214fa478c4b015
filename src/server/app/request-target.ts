import { isContainerPath } from '../../store/index.js';
import { DEFAULTS } from '../settings.js';
import { HttpError } from '../http-error.js';

/** Paths the store never holds: the server's own resources (WES feeds, the web page's assets). */
export const RESERVED = '/.well-known/';

const RESOURCE_METHODS = 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS';
const CONTAINER_METHODS = 'GET, HEAD, PUT, POST, DELETE, OPTIONS';
/** The root always exists and cannot be deleted: it takes neither PUT nor DELETE. */
export const ROOT_METHODS = 'GET, HEAD, POST, OPTIONS';

/** RFC 3986 §2.3: characters whose percent-encoding means the same URI as the character. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The request target's path, normalized as RFC 3986 §6.2.2 says (dot segments resolved,
 * `%2e%2e` included; percent-encoded unreserved characters decoded; other percent-encodings
 * in upper case), query dropped. Every decision about a request (the reserved space, rights,
 * the resource it names) is taken on this one spelling, so `/x/../.well-known/a`,
 * `/%2Ewell-known/a` and `/.well-known/a` are one path, and so are `/%73ecret/` and
 * `/secret/`.
 *
 * @example
 * ```ts
 * targetPath('/a/./b?x=1'); // '/a/b'
 * targetPath('/x/%2e%2e/%7Euser/a%2fb'); // '/~user/a%2Fb'
 * ```
 */
export function targetPath(url: string): string {
  if (!url.startsWith('/'))
    throw new HttpError(400, 'BAD_TARGET', 'The request target must be an absolute path.');
  let path: string;
  try {
    // Appended, not resolved against a base: `//host/x` is a path here, not a network-path
    // reference to another authority (which would quietly serve `/x`).
    // WHATWG URL reads `\` as `/` in http URLs; on the wire it is just a byte of the path.
    path = new URL(`http://localhost${url.replaceAll('\\', '%5C')}`).pathname;
  } catch {
    throw new HttpError(400, 'BAD_TARGET', 'The request target is not a valid path.');
  }
  // After dot segments: WHATWG URL already took `%2e` for `.` there, so decoding unreserved
  // characters cannot make a new dot segment.
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  // eslint-disable-next-line no-control-regex
  if (/\/\/|[\u0000-\u001f\u007f]/.test(path))
    throw new HttpError(
      400,
      'BAD_TARGET',
      `The path ${JSON.stringify(path)} has an empty segment or a control character.`,
    );
  return path;
}

/**
 * Refuses (414 `PATH_TOO_DEEP`) a resource path of more than `maxDepth` segments: a write
 * creates every missing container above its path, each one an event.
 */
/**
 * The request target's length bound (SEC-2): longer than `max` characters is a 414.
 *
 * @example
 * ```ts
 * checkTargetLength('/notes/a', 4096); // fine; a longer one throws URI_TOO_LONG
 * ```
 */
export function checkTargetLength(target: string, max: number): void {
  if (target.length > max)
    throw new HttpError(
      414,
      'URI_TOO_LONG',
      `The request target is longer than ${max} characters.`,
    );
}

export function checkPathDepth(path: string, maxDepth: number = DEFAULTS.maxPathDepth): void {
  const depth = pathDepth(path);
  if (depth > maxDepth)
    throw new HttpError(
      414,
      'PATH_TOO_DEEP',
      `The path has ${depth} segments; at most ${maxDepth} are allowed here (maxPathDepth, --max-path-depth).`,
    );
}

/**
 * The number of segments of a path (a container's trailing `/` ends its last one).
 *
 * @example
 * ```ts
 * pathDepth('/'); // 0
 * pathDepth('/a/b/'); // 2
 * pathDepth('/a/b/c'); // 3
 * ```
 */
export function pathDepth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return isContainerPath(path) ? n - 1 : n;
}

/**
 * The methods a path takes (`Allow`).
 *
 * @example
 * ```ts
 * allowedMethods('/notes/'); // 'GET, HEAD, PUT, POST, DELETE, OPTIONS'
 * ```
 */
export function allowedMethods(path: string): string {
  if (path === '/') return ROOT_METHODS;
  return isContainerPath(path) ? CONTAINER_METHODS : RESOURCE_METHODS;
}
