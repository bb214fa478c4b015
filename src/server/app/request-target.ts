import { isContainerPath } from '../../store/index.js';
import { HttpError } from '../http-error.js';

/** Paths the store never holds: the server's own resources (WES feeds, the web page's assets). */
export const RESERVED = '/.well-known/';

const RESOURCE_METHODS = 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS';
const CONTAINER_METHODS = 'GET, HEAD, PUT, POST, DELETE, OPTIONS';
/** The root always exists and cannot be deleted: it takes neither PUT nor DELETE. */
export const ROOT_METHODS = 'GET, HEAD, POST, OPTIONS';

/**
 * The request target's path: dot segments resolved, query dropped, percent-encoding kept.
 *
 * @example
 * ```ts
 * targetPath('/a/./b?x=1'); // '/a/b'
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
